"""Fencing: the lease runs on the database's clock and stays alive through a long fetch; every
move of the checkpoint (batches, rewinds, rebuilds) is a compare-and-set on number and hash."""

import threading
import time

import pytest
from sqlalchemy import text

from ledger.indexer import store
from ledger.indexer.projector import Batch
from ledger.core.errors import LeaseLost
from ledger.indexer.store import Checkpoint, Header
from tests.ledger.indexer.conftest import indexer_via, make_indexer, read_model, within, workload
from tests.ledger.indexer.faulty_node import Faults, FaultyNode


def test_the_lease_is_decided_by_the_database_clock_not_the_hosts(chain, database_url, monkeypatch):
    active = make_indexer(chain, database_url, lease_seconds=60)
    active.run_once()
    monkeypatch.setattr(time, "time", lambda: 4_000_000_000.0)  # a standby whose clock runs a century ahead
    standby = make_indexer(chain, database_url)
    assert standby.run_once() is None


def test_the_lease_is_renewed_while_a_long_fetch_is_in_flight(chain, database_url):
    load = workload(chain)
    load.pay(load.assess(3), 3)
    hold = threading.Event()
    with FaultyNode(chain.node.url, Faults(hold_get_logs=hold)) as node:
        active = indexer_via(chain, database_url, node.url, lease_seconds=0.6)
        result = {}
        thread = threading.Thread(target=lambda: result.update(written=active.run_once()))
        thread.start()
        try:
            assert node.get_logs_held.wait(30), "the indexer never asked for logs"
            standby = make_indexer(chain, database_url)
            for _ in range(3):  # the lease would have expired twice over without renewal
                threading.Event().wait(0.6)
                assert standby.run_once() is None
        finally:
            hold.set()
            thread.join(60)
    assert not thread.is_alive()
    assert result["written"] > 0  # its writes passed the fence: it never lost the lease
    assert read_model(active.engine)["checkpoint"][0][1] == chain.w3.eth.block_number


def indexed(chain, database_url):
    workload(chain).every_event(60)
    indexer = make_indexer(chain, database_url)
    within(60, indexer.catch_up)
    with indexer.engine.connect() as conn:
        return indexer, store.load_checkpoint(conn, indexer.chain_id)


def test_a_batch_on_a_checkpoint_with_the_same_number_but_another_hash_is_refused(chain, database_url):
    indexer, checkpoint = indexed(chain, database_url)
    before = read_model(indexer.engine)
    forged = Header(checkpoint.block_number, "0x" + "11" * 32, "")
    with pytest.raises(LeaseLost, match="checkpoint moved"):
        indexer._write(Batch(indexer.chain_id), [], forged, Header(checkpoint.block_number + 1, "0x" + "22" * 32, ""))
    assert read_model(indexer.engine) == before


def test_a_rewind_from_a_stale_checkpoint_changes_nothing(chain, database_url):
    indexer, checkpoint = indexed(chain, database_url)
    before = read_model(indexer.engine)
    stale = Checkpoint(checkpoint.block_number, "0x" + "33" * 32, checkpoint.genesis_hash)
    with indexer.engine.connect() as conn:
        ancestor = store.recent_headers(conn, indexer.chain_id, 3)[-1]
    with pytest.raises(LeaseLost, match="checkpoint moved"):
        with indexer.engine.begin() as conn:
            store.rewind(conn, indexer.chain_id, stale, ancestor)
    assert read_model(indexer.engine) == before


def test_a_rewind_by_an_indexer_that_lost_its_lease_changes_nothing(chain, database_url):
    indexer, checkpoint = indexed(chain, database_url)
    indexer.release()
    assert make_indexer(chain, database_url).run_once() is not None  # the lease passed on
    before = read_model(indexer.engine)
    with indexer.engine.begin() as conn:  # pretend a reorg of one block
        conn.execute(
            text("UPDATE indexed_blocks SET block_hash = :h WHERE block_number = :n"),
            {"h": "0x" + "44" * 32, "n": checkpoint.block_number},
        )
        conn.execute(text("UPDATE chain_state SET block_hash = :h"), {"h": "0x" + "44" * 32})
    before = read_model(indexer.engine)
    with indexer.engine.connect() as conn:
        moved = store.load_checkpoint(conn, indexer.chain_id)
    with pytest.raises(LeaseLost, match="lease passed"):
        indexer._rewind(moved, detected_by="block_hash")
    assert read_model(indexer.engine) == before


def test_a_rebuild_is_refused_while_another_indexer_holds_the_lease(chain, database_url):
    indexer, _ = indexed(chain, database_url)  # it still holds the lease
    before = read_model(indexer.engine)
    other = make_indexer(chain, database_url)
    with pytest.raises(LeaseLost, match="another indexer holds the lease"):
        other.wipe()
    assert read_model(indexer.engine) == before
    indexer.release()
    other.wipe()
    assert read_model(other.engine)["checkpoint"] == []


def test_a_wipe_of_a_checkpoint_that_moved_meanwhile_is_refused(chain, database_url):
    indexer, checkpoint = indexed(chain, database_url)
    before = read_model(indexer.engine)
    stale = Checkpoint(checkpoint.block_number - 1, checkpoint.block_hash, checkpoint.genesis_hash)
    with pytest.raises(LeaseLost, match="checkpoint moved"):
        with indexer.engine.begin() as conn:
            store.wipe(conn, indexer.chain_id, stale)
    assert read_model(indexer.engine) == before
