"""Honest stops: a stop request (SIGTERM in `ledger index`) ends the loop between batches
within seconds, even in a long backfill; what was committed stays whole; no thread is left."""

import os
import signal
import subprocess
import sys
import threading
import time

from sqlalchemy import text

from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from tests.ledger.indexer.conftest import indexer_via, kind_of, make_indexer, read_model, within, workload
from tests.ledger.indexer.faulty_node import Faults, FaultyNode


def checkpoint(engine) -> int:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT block_number FROM chain_state")).first()
    return row[0] if row else -1


def assert_whole_up_to_the_checkpoint(chain, engine) -> None:
    """Every log up to the checkpoint is in the read model, none above it."""
    last = checkpoint(engine)
    logs = chain.w3.eth.get_logs(
        {"address": [c.address for c in chain.manifest.contracts], "fromBlock": 0, "toBlock": last}
    )
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT block_number, log_index FROM raw_events")).all()
    assert sorted(stored) == sorted((log["blockNumber"], log["logIndex"]) for log in logs)


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_a_stop_during_a_long_backfill_ends_the_loop_within_seconds_and_leaves_no_thread(
    chain, database_url, new_database
):
    workload(chain, payment_batch=4).every_event(1_500)
    head = chain.w3.eth.block_number
    with FaultyNode(chain.node.url, Faults(get_logs_delay=0.03)) as node:
        indexer = indexer_via(chain, database_url, node.url, range_max=1)  # a transaction per block: a long backfill
        thread = threading.Thread(target=indexer.follow)
        thread.start()
        wait_until(lambda: checkpoint(indexer.engine) > 20, 60, "the backfill never started")
        indexer.stop.set()
        thread.join(5)
        assert not thread.is_alive(), "the loop did not stop within 5 s"
    assert [t.name for t in threading.enumerate() if t.name.startswith("ledger-")] == []  # prefetch, commit, lease
    assert checkpoint(indexer.engine) < head, "the stop should land before the backfill ended"
    assert_whole_up_to_the_checkpoint(chain, indexer.engine)

    indexer.release()
    resumed = make_indexer(chain, database_url)
    within(120, resumed.catch_up)
    fresh = make_indexer(chain, new_database(kind_of(database_url)))
    within(120, fresh.catch_up)
    assert read_model(resumed.engine) == read_model(fresh.engine)


def test_sigterm_stops_ledger_index_within_seconds_with_the_last_batch_intact(chain, new_database, tmp_path):
    workload(chain, payment_batch=4).every_event(1_500)
    head = chain.w3.eth.block_number
    database_url = new_database("postgresql")
    manifest_path = tmp_path / "deployment.json"
    chain.manifest.save(manifest_path)
    engine = make_engine(database_url)
    upgrade_schema(engine)
    with FaultyNode(chain.node.url, Faults(get_logs_delay=0.03)) as node:
        env = {
            **os.environ,
            "LEDGER_RPC_URL": node.url,
            "LEDGER_DATABASE_URL": database_url,
            "LEDGER_MANIFEST_PATH": str(manifest_path),
            "LEDGER_INDEX_RANGE_MAX": "1",
        }
        log_path = tmp_path / "indexer.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "ledger", "index", "--follow"],
            env=env,
            stdout=open(log_path, "wb"),
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(lambda: checkpoint(engine) > 20 or process.poll() is not None, 60, "the backfill never started")
            assert process.poll() is None, log_path.read_text()[-3000:]
            process.send_signal(signal.SIGTERM)
            exit_code = process.wait(5)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert exit_code == 0, log_path.read_text()[-3000:]
    assert checkpoint(engine) < head
    assert_whole_up_to_the_checkpoint(chain, engine)
