"""The indexer process killed with SIGKILL at random moments and restarted: no gaps, no
duplicates, and the same final state as an uninterrupted run."""

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from tests.ledger.indexer.conftest import kind_of, make_indexer, read_model, workload
from tests.support.depth import DEEP

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil

# `make test` kills 8 times per node; `make test-deep` (LEDGER_DEEP=1) 40 times.
KILLS = 40 if DEEP else 8
# Each node with one database: what a SIGKILL mid-commit leaves is the database's matter, what the
# restarted indexer reads the node's, so two runs cover both databases and both nodes.
DATABASE_FOR_NODE = {"hardhat": "postgresql", "anvil": "sqlite"}


@pytest.fixture
def database_url(node_kind, new_database):
    return new_database(DATABASE_FOR_NODE[node_kind])


def checkpoint(engine) -> int:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT block_number FROM chain_state")).first()
    return row[0] if row else -1


def start_indexer(env, log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ledger", "index", "--follow"], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def wait_for(condition, process, log, timeout=120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, "the indexer made no progress"
        time.sleep(0.01)


def test_an_indexer_killed_at_random_moments_ends_as_if_never_interrupted(chain, database_url, new_database, tmp_path):
    workload(chain, payment_batch=4).every_event(2_000)  # about 450 blocks
    head = chain.w3.eth.block_number
    manifest_path = tmp_path / "deployment.json"
    chain.manifest.save(manifest_path)
    env = {
        **os.environ,
        "LEDGER_RPC_URL": chain.node.url,
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_MANIFEST_PATH": str(manifest_path),
        "LEDGER_INDEXER_ID": "crash-test",  # the same replica restarting takes its lease back at once
        "LEDGER_INDEX_RANGE_MAX": "1",  # one block per transaction: many commits to interrupt
        "LEDGER_INDEX_POLL_SECONDS": "0.05",
    }
    log_path = tmp_path / "indexer.log"
    log = open(log_path, "ab")
    engine = make_engine(database_url)
    upgrade_schema(engine)
    moments = random.Random(20261129)
    for _ in range(KILLS):
        process = start_indexer(env, log)
        try:
            seen = checkpoint(engine)
            wait_for(lambda: checkpoint(engine) > seen, process, log_path)  # it is writing now
            time.sleep(moments.uniform(0, 0.02))  # into the middle of a later transaction
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
    assert checkpoint(engine) < head, "the kills should land before the indexer caught up"

    process = start_indexer(env, log)
    try:
        wait_for(lambda: checkpoint(engine) >= head, process, log_path)
    finally:
        process.send_signal(signal.SIGTERM)
        exit_code = process.wait(30)
    assert exit_code == 0, log_path.read_text()[-3000:]

    logs = chain.w3.eth.get_logs({"address": [c.address for c in chain.manifest.contracts], "fromBlock": 0})
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT block_number, log_index FROM raw_events")).all()
    assert sorted(stored) == sorted((log["blockNumber"], log["logIndex"]) for log in logs)

    uninterrupted = make_indexer(chain, new_database(kind_of(database_url)))
    uninterrupted.catch_up()
    assert read_model(engine) == read_model(uninterrupted.engine)
