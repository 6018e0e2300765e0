"""The indexer as a Celery beat task, run by a real worker process on Redis, also through a
node that resets connections, answers 502 and 429 and times out once."""

import os
import subprocess
import sys
import time
from contextlib import nullcontext
from dataclasses import replace

import pytest
import redis
from sqlalchemy import text

from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from tests.ledger.indexer.conftest import make_indexer, read_model, workload
from tests.ledger.indexer.faulty_node import Faults, FaultyNode

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil

REDIS_DB = 14


def indexed_to(engine) -> int:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT block_number FROM chain_state")).first()
    return row[0] if row else -1


FAULTS = {
    "a_good_node": None,
    "a_faulty_node": Faults(reset_rate=0.05, http_502_rate=0.05, http_429_rate=0.03, timeouts=1, timeout_seconds=1.5,
                            seed=5),
}


@pytest.mark.parametrize("behaviour", FAULTS)
def test_a_celery_worker_with_beat_keeps_the_read_model_up_to_date(chain, tmp_path, behaviour):
    faults = FAULTS[behaviour]
    node = FaultyNode(chain.node.url, replace(faults)) if faults else None  # a copy: the proxy counts faults down
    with node or nullcontext():
        _worker_keeps_up(chain, tmp_path, node.url if node else chain.node.url)
    if node:
        assert node.seen["timeouts"] == 1 and node.seen["resets"] + node.seen["http_502"] + node.seen["http_429"] > 0


def _worker_keeps_up(chain, tmp_path, node_url):
    broker = f"redis://127.0.0.1:6379/{REDIS_DB}"
    redis.Redis.from_url(broker).flushdb()  # Redis must be running: a missing server fails the test
    database_url = f"sqlite:///{tmp_path / 'read-model.db'}"
    manifest_path = tmp_path / "deployment.json"
    chain.manifest.save(manifest_path)
    load = workload(chain)
    projects = load.assess(5)
    env = {**os.environ, "LEDGER_RPC_URL": node_url, "LEDGER_DATABASE_URL": database_url,
           "LEDGER_MANIFEST_PATH": str(manifest_path), "LEDGER_BROKER_URL": broker, "LEDGER_INDEX_POLL_SECONDS": "0.2",
           "LEDGER_RPC_TIMEOUT_SECONDS": "1", "LEDGER_INDEX_RETRY_MAX_SECONDS": "1"}
    engine = make_engine(database_url)
    upgrade_schema(engine)  # before the worker starts: it refuses an older schema
    log_path = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "ledger.tasks", "worker", "-B", "--pool=solo", "--loglevel=INFO",
         "--schedule", str(tmp_path / "beat-schedule")],
        env=env, stdout=open(log_path, "wb"), stderr=subprocess.STDOUT,
    )
    try:
        for round_ in range(2):  # the second round proves beat keeps polling
            if round_:
                load.pay(projects, 30)
            head = chain.w3.eth.block_number
            deadline = time.monotonic() + 90
            while indexed_to(engine) < head:
                assert worker.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(30)
    fresh = make_indexer(chain, f"sqlite:///{tmp_path / 'fresh.db'}")
    fresh.catch_up()
    assert read_model(engine) == read_model(fresh.engine)
