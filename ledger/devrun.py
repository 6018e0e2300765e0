"""`ledger dev` (what `make run` runs): chain, deployment, indexer, Celery worker and API on 127.0.0.1.

On the embedded defaults it starts a fresh Hardhat node and a fresh SQLite read model each
time (the local chain keeps nothing when it stops). Pointed at a persistent node and database
through the settings, it starts neither afresh and keeps their state.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ledger.chain import connect, signers_from_mnemonic
from ledger.db.engine import make_engine, migrate
from ledger.deploy import deploy
from ledger.devchain import LocalNode, rpc_ready
from ledger.errors import ChainUnavailable
from ledger.manifest import load_manifest
from ledger.settings import REPO_ROOT, Settings

VAR = REPO_ROOT / "var"
API_PORT = 8000


def _say(message: str) -> None:
    print(f"[make run] {message}", flush=True)


def _fresh_local_state(settings: Settings) -> bool:
    defaults = Settings.model_fields
    return (settings.rpc_url == defaults["rpc_url"].default
            and settings.database_url == defaults["database_url"].default)


def run_dev() -> int:
    settings = Settings()
    VAR.mkdir(exist_ok=True)
    node = None
    if _fresh_local_state(settings):
        if rpc_ready(settings.rpc_url):
            raise ChainUnavailable(f"something already answers at {settings.rpc_url}; stop it first")
        _say("fresh local chain and fresh local database: nothing from an earlier run is kept")
        for name in ("ledger.db", "ledger.db-wal", "ledger.db-shm", "deployment.json", "celery-broker.db", "beat-schedule"):
            (VAR / name).unlink(missing_ok=True)
        log_name = f"{settings.dev_node}.log"
        node = LocalNode(port=int(settings.rpc_url.rsplit(":", 1)[1]), kind=settings.dev_node,
                         log_path=VAR / log_name).start()
        _say(f"{settings.dev_node} node on {node.url} (log: var/{log_name})")
    children: list[tuple[str, subprocess.Popen]] = []
    try:
        w3 = connect(settings.rpc_url)
        existing = load_manifest(settings.manifest_path) if settings.manifest_path.exists() else None
        manifest, deployed = deploy(w3, signers_from_mnemonic(settings.mnemonic.get_secret_value()), existing=existing)
        manifest.save(settings.manifest_path)
        for c in manifest.contracts:
            _say(f"{'deployed' if deployed else 'reusing'} {c.name} at {c.address}")
        migrate(make_engine(settings.database_url))

        python = sys.executable
        commands = {
            "indexer": [python, "-m", "ledger", "index", "--follow"],
            "worker": [python, "-m", "celery", "-A", "ledger.tasks", "worker", "-B", "--pool=solo",
                       "--loglevel=INFO", "--schedule", str(VAR / "beat-schedule")],
            "api": [python, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(API_PORT)],
        }
        for name, command in commands.items():
            log = open(VAR / f"{name}.log", "ab")
            children.append((name, subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                                    start_new_session=True)))
            _say(f"started {name} (log: var/{name}.log)")
        _say(f"API health:   http://127.0.0.1:{API_PORT}/health")
        _say(f"API docs:     http://127.0.0.1:{API_PORT}/docs")
        _say("Ctrl-C stops everything this started")
        return _supervise(children)
    finally:
        _stop(children)
        if node:
            node.stop()
            _say("stopped the local chain")


def _supervise(children) -> int:
    stopping = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.append(True))
    while not stopping:
        for name, process in children:
            if process.poll() is not None:
                _say(f"{name} exited with {process.returncode}; see var/{name}.log — stopping the rest")
                return 1
        time.sleep(0.5)
    return 0


def _stop(children) -> None:
    for _name, process in children:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for _name, process in children:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
