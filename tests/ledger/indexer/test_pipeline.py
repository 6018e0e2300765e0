"""The committer thread: group commit tested deterministically, and a failure at batch k leaves
the read model at batch k−1, halted, and a restart resumes cleanly."""

import threading

import pytest
from sqlalchemy import text

from ledger.indexer import store
from ledger.indexer.pipeline import Committer
from ledger.indexer.projector import Batch
from ledger.indexer.store import Header
from tests.ledger.indexer.conftest import kind_of, make_indexer, read_model, within, workload


def header(number: int) -> Header:
    return Header(number, f"0x{number:064x}", f"0x{number - 1:064x}")


def test_batches_waiting_for_the_committer_are_merged_into_one_transaction_in_order():
    entered, gate, calls = threading.Event(), threading.Event(), []

    def write(batch, headers, previous, checkpoint, unknown):
        entered.set()
        assert gate.wait(10)
        calls.append((batch.events, [h.number for h in headers], previous.number, checkpoint.number, unknown))

    committer = Committer(write)
    try:
        committer.submit(Batch(1, events=1), 0, [header(1)], header(0), header(1))
        assert entered.wait(10)  # the committer is inside the first transaction
        for number in range(2, 6):  # these wait for it
            committer.submit(Batch(1, events=number), 1, [header(number)], header(number - 1), header(number))
        gate.set()
        committer.flush()
    finally:
        committer.close()
    assert calls == [
        (1, [1], 0, 1, 0),
        (2 + 3 + 4 + 5, [2, 3, 4, 5], 1, 5, 4),  # one transaction from batch 1's checkpoint to batch 5's
    ]


def test_on_a_stop_the_transaction_under_way_commits_and_the_waiting_batches_are_dropped():
    entered, gate, calls = threading.Event(), threading.Event(), []

    def write(batch, headers, previous, checkpoint, unknown):
        entered.set()
        assert gate.wait(10)
        calls.append(checkpoint.number)

    committer = Committer(write)
    try:
        committer.submit(Batch(1, events=1), 0, [header(1)], header(0), header(1))
        assert entered.wait(10)
        for number in range(2, 5):
            committer.submit(Batch(1, events=1), 0, [header(number)], header(number - 1), header(number))
        committer.drop_waiting()
        gate.set()
        committer.flush()
    finally:
        committer.close()
    assert calls == [1]


def test_a_commit_failure_at_batch_k_leaves_batch_k_minus_1_and_a_restart_resumes(
    chain, database_url, new_database, monkeypatch
):
    workload(chain, payment_batch=4).every_event(300)
    indexer = make_indexer(chain, database_url, range_max=2)
    original, committed = store.write_batch, []

    def failing_at_batch_6(conn, batch, headers, previous, checkpoint, **kwargs):
        if len(committed) == 5:
            raise RuntimeError("disk full at batch 6")
        original(conn, batch, headers, previous, checkpoint, **kwargs)
        committed.append(checkpoint.number)

    monkeypatch.setattr(store, "write_batch", failing_at_batch_6)
    with pytest.raises(RuntimeError, match="disk full"):
        within(60, indexer.catch_up)
    with indexer.engine.connect() as conn:
        assert conn.execute(text("SELECT block_number FROM chain_state")).scalar_one() == committed[-1]
        assert conn.execute(text("SELECT max(block_number) FROM raw_events")).scalar_one() <= committed[-1]
        assert conn.execute(text("SELECT halt_kind FROM indexer_status")).scalar_one() == "RuntimeError"

    monkeypatch.setattr(store, "write_batch", original)
    indexer.release()
    restarted = make_indexer(chain, database_url)
    within(60, restarted.catch_up)
    with restarted.engine.connect() as conn:
        assert conn.execute(text("SELECT halt_kind FROM indexer_status")).scalar_one() is None  # cleared by a good poll
    fresh = make_indexer(chain, new_database(kind_of(database_url)))
    within(60, fresh.catch_up)
    assert read_model(restarted.engine) == read_model(fresh.engine)
