"""A whole local system on 127.0.0.1 for end-to-end tests and benchmarks: a fresh development node
(Hardhat, or anvil with `node_kind`) with the contracts deployed, a scratch PostgreSQL database,
signed clients and users, API processes and a Celery worker (writer, indexer, webhooks) on Redis
with a queue of its own. Nothing is mocked."""

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text

from ledger.access.registry import add_client
from ledger.access.signing import private_key_pem, public_key_pem
from ledger.access.users import add_user
from ledger.chain.node import connect, signers_from_mnemonic
from devtools.sdk import LedgerClient
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from devtools.scratch_db import scratch_database
from ledger.chain.deploy import deploy
from devtools.dev_node import LocalNode, free_port
from ledger.core.errors import LedgerError
from ledger.indexer.loop import Indexer, IndexerConfig
from ledger.chain.manifest import Manifest
from ledger.chain.rpc import JsonRpc
from devtools import REPO_ROOT
from ledger.core.settings import DEV_MNEMONIC

CLIENTS = {"tax-bureau": "tax", "approval-bureau": "approval"}
OFFICE_USER, OFFICE_PASSWORD = "sim-office", "office password for the local stack"


class Process:
    """A child process in its own session, its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict, log_dir: Path):
        self.name, self.command, self.env = name, command, env
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "ab")
        self.popen = self._spawn()

    def _spawn(self) -> subprocess.Popen:
        return subprocess.Popen(
            self.command,
            cwd=REPO_ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL, to the whole process group (uvicorn's and Celery's children too): no goodbye."""
        if self.alive():
            os.killpg(self.popen.pid, 9)
        self.popen.wait()

    def restart(self) -> None:
        """The same command line again, its output appended to the same log."""
        self.kill()
        self.popen = self._spawn()

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 15) -> None:
        if self.alive():
            os.killpg(self.popen.pid, 15)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, 9)
                self.popen.wait()
        self._log.close()


def wait_http(url: str, process: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.ConnectionError:
            pass
        if not process.alive() or time.monotonic() > deadline:
            raise LedgerError(f"{process.name} did not answer at {url}; see {process.log_path}")
        time.sleep(0.1)


@dataclass
class Stack:
    work_dir: Path
    postgres_server: str = "postgresql://127.0.0.1/test"
    redis_url: str = "redis://127.0.0.1:6379/0"
    api_processes: int = 1
    api_log_level: str = "warning"  # "info" adds uvicorn's access log
    worker: bool = True
    extra_env: dict = field(default_factory=dict)
    node_kind: str = "hardhat"
    node_state: Path | None = None  # anvil only: the chain survives a restart of the node (LocalNode.state_path)
    node: LocalNode | None = None
    database_url: str = ""
    engine: Engine | None = None
    keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    api_urls: list[str] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    queue: str = ""
    manifest: Manifest | None = None
    _drop = None

    def start(self) -> "Stack":
        self.work_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.node = LocalNode(
                kind=self.node_kind, log_path=self.work_dir / f"{self.node_kind}.log", state_path=self.node_state
            ).start()
            self.manifest, _ = deploy(connect(self.node.url), signers_from_mnemonic(DEV_MNEMONIC))
            self.manifest.save(self.work_dir / "deployment.json")
            self.database_url, self._drop = scratch_database(self.postgres_server, prefix="ledger_stack")
            self.engine = make_engine(self.database_url)
            upgrade_schema(self.engine)
            for name, role in CLIENTS.items():
                self.keys[name] = Ed25519PrivateKey.generate()
                (self.work_dir / f"{name}.key").write_bytes(private_key_pem(self.keys[name]))
                add_client(
                    self.engine, name=name, role=role, public_key_text=public_key_pem(self.keys[name].public_key())
                )
            add_user(self.engine, username=OFFICE_USER, password=OFFICE_PASSWORD, role="office")
            self.queue = f"ledger-stack-{uuid.uuid4().hex[:10]}"
            for i in range(self.api_processes):
                port = free_port()
                api = Process(
                    f"api-{i}",
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "--factory",
                        "web.app:create_app",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--log-level",
                        self.api_log_level,
                    ],
                    self.env(),
                    self.work_dir,
                )
                self.processes.append(api)
                self.api_urls.append(f"http://127.0.0.1:{port}")
            if self.worker:
                self.start_worker()
            for url, process in zip(self.api_urls, self.processes):
                wait_http(url + "/problems", process)
            if self.worker:
                self.wait_for_rate_tables()
            else:
                self.index_once()  # no worker: mirror the deployment (its published rate tables) here
            return self
        except BaseException:
            self.stop()
            raise

    def env(self) -> dict:
        return {
            **os.environ,
            "LEDGER_DATABASE_URL": self.database_url,
            "LEDGER_RPC_URL": self.node.url,
            "LEDGER_MANIFEST_PATH": str(self.work_dir / "deployment.json"),
            "LEDGER_BROKER_URL": self.redis_url,
            "LEDGER_CELERY_QUEUE": self.queue,
            **self.extra_env,
        }

    def start_worker(self) -> Process:
        worker = Process(
            f"worker-{len(self.processes)}",
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
                "-Q",
                self.queue,
                "--loglevel=INFO",
                "--schedule",
                str(self.work_dir / f"beat-{uuid.uuid4().hex[:6]}"),
            ],
            self.env(),
            self.work_dir,
        )
        self.processes.append(worker)
        return worker

    def index_once(self) -> None:
        """Run the indexer in this process until it reaches the chain's tip, then let go of its lease."""
        indexer = Indexer(
            engine=self.engine,
            rpc=JsonRpc(self.node.url),
            manifest=self.manifest,
            config=IndexerConfig(),
            owner=f"stack-{uuid.uuid4().hex[:6]}",
        )
        try:
            indexer.catch_up()
        finally:
            indexer.release()

    def wait_for_rate_tables(self, timeout: float = 120) -> None:
        """Assessments read the rate tables published on chain: ready once the indexer mirrored them."""
        deadline = time.monotonic() + timeout
        while True:
            with self.engine.connect() as conn:
                if conn.execute(text("SELECT count(*) FROM rates")).scalar_one():
                    return
            if time.monotonic() > deadline:
                raise LedgerError(f"the indexer did not mirror the published rate tables; see {self.work_dir}")
            time.sleep(0.2)

    def chain_time(self) -> datetime:
        """The dev chain's clock, or the wall clock if later: Hardhat mines a block per transaction, each at
        least a second after the last, so its clock runs ahead (anvil lets blocks share a second);
        FeeLedger refuses a payment time before the assessment's block."""
        latest = connect(self.node.url).eth.get_block("latest")["timestamp"]
        return datetime.fromtimestamp(max(latest, time.time()), timezone.utc)

    @property
    def api_url(self) -> str:
        return self.api_urls[0]

    def client(self, name: str, server: int = 0) -> LedgerClient:
        return LedgerClient(self.api_urls[server], name, self.keys[name])

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        if self.engine is not None:
            self.engine.dispose()
        if self._drop:
            self._drop()
            self._drop = None
        if self.node:
            self.node.stop()

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
