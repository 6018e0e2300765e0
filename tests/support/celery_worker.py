"""A real Celery worker process (with beat) on Redis, its own queue per test, on the chain fixture.

Redis must be running on 127.0.0.1:6379: a missing server fails the test, never skips it.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis

BROKER = "redis://127.0.0.1:6379/0"


class Worker:
    """`celery -A ledger.worker worker -B` in its own process group (SIGKILL takes the pool children too)."""

    def __init__(self, env: dict, directory: Path):
        self.env, self.directory = env, directory
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def log(self) -> str:
        path = self.directory / f"worker-{self.starts}.log"
        return path.read_text(errors="replace")[-5000:] if path.exists() else ""

    def start(self) -> "Worker":
        self.starts += 1
        with open(self.directory / f"worker-{self.starts}.log", "wb") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "ledger.worker",
                    "worker",
                    "-B",
                    "-c",
                    "3",
                    "--loglevel=INFO",
                    "-n",
                    f"{self.env['LEDGER_CELERY_QUEUE']}-{self.starts}@%h",
                    "--schedule",
                    str(self.directory / f"beat-{self.starts}"),
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker and its pool: a machine that dies mid-task."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_until(condition, *, timeout: float, worker: Worker | None = None, what: str = "condition"):
    """Poll `condition` until truthy; fail with the worker's log after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if worker is not None and not worker.alive():
            raise AssertionError(f"the worker died while waiting for {what}:\n{worker.log}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{worker.log if worker else ''}")
        time.sleep(0.05)


def worker_settings(node_url: str, manifest_path: Path) -> dict:
    """The environment of a worker (or another process of the write path) on that node and deployment, on
    Redis with a queue of its own and short polls and back-offs; the caller adds LEDGER_DATABASE_URL and
    deletes the queue (LEDGER_CELERY_QUEUE) when done."""
    redis.Redis.from_url(BROKER).ping()
    return {
        **os.environ,
        "LEDGER_RPC_URL": node_url,
        "LEDGER_MANIFEST_PATH": str(manifest_path),
        "LEDGER_BROKER_URL": BROKER,
        "LEDGER_CELERY_QUEUE": f"ledger-test-{uuid.uuid4().hex[:12]}",
        "LEDGER_INDEX_POLL_SECONDS": "0.2",
        "LEDGER_WRITER_RPC_TIMEOUT_SECONDS": "2",
        "LEDGER_WRITER_RETRY_MAX_SECONDS": "1",
        "LEDGER_WRITER_LEASE_SECONDS": "3",
        "LEDGER_WEBHOOK_POLL_SECONDS": "0.2",
        "LEDGER_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
        "LEDGER_WEBHOOK_RETRY_MAX_SECONDS": "1",
    }


@pytest.fixture
def worker_env(chain, tmp_path):
    """Settings for a worker on the chain fixture; the test adds LEDGER_DATABASE_URL."""
    manifest_path = tmp_path / "deployment.json"
    chain.manifest.save(manifest_path)
    env = worker_settings(chain.node.url, manifest_path)
    yield env
    redis.Redis.from_url(BROKER).delete(env["LEDGER_CELERY_QUEUE"])


@pytest.fixture
def celery_worker(worker_env, tmp_path):
    """A factory: celery_worker(database_url, **more_env) starts a worker (with more settings, e.g.
    LEDGER_CREDIT_SHARING_URL); every worker is stopped after the test."""
    workers = []

    def start(database_url: str, **more_env: str) -> Worker:
        worker = Worker({**worker_env, **more_env, "LEDGER_DATABASE_URL": database_url}, tmp_path).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
