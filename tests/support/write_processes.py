"""The processes `make run` (devtools/run.py) starts to carry an accepted command to `indexed`: the Celery
worker with beat (the outbox drain, the indexer task, marking commands indexed) and the indexer loop
(`ledger index --follow`; the two indexers share one lease, so one of them indexes and the other stands
by). Redis must be running on 127.0.0.1:6379: a missing server fails the test, never skips it."""

import subprocess
import sys
from pathlib import Path

import redis
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from devtools import REPO_ROOT
from ledger.db.write_model import OutboxCommand
from tests.support.celery_worker import BROKER, Worker, wait_until, worker_settings

FINAL = {"indexed", "failed"}


class WriteProcesses:
    """The worker and the indexer loop on one database, node and deployment; their logs in `directory`."""

    def __init__(self, *, database_url: str, node_url: str, manifest_path: Path, directory: Path, **more_env: str):
        self.env = {**worker_settings(node_url, manifest_path), **more_env, "LEDGER_DATABASE_URL": database_url}
        self.directory = directory
        self.worker = Worker(self.env, directory)
        self.indexer: subprocess.Popen | None = None

    def start(self) -> "WriteProcesses":
        self.worker.start()
        with open(self.directory / "indexer.log", "wb") as log:  # the child keeps its own descriptor
            self.indexer = subprocess.Popen(
                [sys.executable, "-m", "ledger", "index", "--follow"],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def settled(self, engine: Engine, timeout: float = 60) -> None:
        """Wait until every command in the outbox is `indexed` (a `failed` one, or a process that died,
        fails the test with the worker's log)."""

        def statuses() -> dict[str, int]:
            assert self.indexer.poll() is None, (self.directory / "indexer.log").read_text(errors="replace")[-3000:]
            with Session(engine) as s:
                return dict(s.execute(select(OutboxCommand.status, func.count()).group_by(OutboxCommand.status)).all())

        def final() -> tuple[dict[str, int]] | None:  # a tuple: an empty outbox is settled too
            counts = statuses()
            return (counts,) if set(counts) <= FINAL else None

        (counts,) = wait_until(
            final,
            timeout=timeout,
            worker=self.worker,
            what="every command to reach indexed",
        )
        assert "failed" not in counts, f"commands failed: {counts}\n{self.worker.log}"

    def stop(self) -> None:
        self.worker.stop()
        if self.indexer is not None and self.indexer.poll() is None:
            self.indexer.terminate()  # SIGTERM: it stops between batches and releases its lease
            try:
                self.indexer.wait(20)
            except subprocess.TimeoutExpired:
                self.indexer.kill()
        redis.Redis.from_url(BROKER).delete(self.env["LEDGER_CELERY_QUEUE"])
