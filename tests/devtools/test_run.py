"""`python -m devtools run` (what `make run` runs) on each development node: it starts the node, deploys, starts
the indexer, worker and API, /health answers ok, and SIGTERM stops everything it started.

It runs in a copy of the repository, so its fresh var/ (database, manifest, broker) is its own and a
developer's `make run` state is left alone; the node and the API take free ports."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests

from devtools.dev_node import HARDHAT_DIR, free_port, rpc_ready
from devtools import REPO_ROOT

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil

CLIENT_VERSION = {"hardhat": "HardhatNetwork", "anvil": "anvil"}


def repository_copy(target):
    """The working tree without its local state; the pinned node packages are linked, not copied."""
    shutil.copytree(
        REPO_ROOT,
        target,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "var", ".env", "node_modules", "cache", "__pycache__", ".pytest_cache", ".hypothesis"
        ),
    )
    (target / "hardhat-local" / "node_modules").symlink_to(HARDHAT_DIR / "node_modules")
    return target


def test_ledger_dev_starts_its_node_and_the_system_until_health_is_ok_and_sigterm_stops_it_all(tmp_path, node_kind):
    repo = repository_copy(tmp_path / "repo")
    rpc_url, api_url = f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"
    env = {name: value for name, value in os.environ.items() if not name.startswith("LEDGER_")}
    env |= {"LEDGER_DEV_NODE": node_kind, "LEDGER_RPC_URL": rpc_url, "LEDGER_DEV_API_PORT": api_url.rsplit(":", 1)[1]}
    log_path = tmp_path / "dev.log"
    with open(log_path, "wb") as log:
        dev = subprocess.Popen(
            [sys.executable, "-m", "devtools", "run", "--no-simulate"],
            cwd=repo,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        health = None
        deadline = time.monotonic() + 120
        while health is None or health.status_code != 200:
            assert dev.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.5)
            try:
                health = requests.get(api_url + "/health", timeout=5)
            except requests.ConnectionError:
                pass
        body = health.json()
        assert body["status"] == "ok" and body["chain"]["chain_id"] == 31337 and body["indexer"]["lag_blocks"] == 0, (
            body
        )
        version = requests.post(rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "web3_clientVersion"}).json()
        assert CLIENT_VERSION[node_kind] in version["result"]  # the node LEDGER_DEV_NODE asked for
        assert (repo / "var" / "ledger.db").exists() and (repo / "var" / f"{node_kind}.log").exists()
    finally:
        if dev.poll() is None:
            dev.send_signal(signal.SIGTERM)
        returncode = dev.wait(60)
    assert returncode == 0, log_path.read_text()[-3000:]
    assert not rpc_ready(rpc_url)
    with pytest.raises(requests.ConnectionError):
        requests.get(api_url + "/health", timeout=5)


def test_a_node_that_already_answers_on_another_port_is_kept_not_replaced(node, monkeypatch):
    from devtools.run import _fresh_local_state
    from ledger.core.settings import Settings

    monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    monkeypatch.setenv("LEDGER_RPC_URL", node.url)  # a persistent local node: `python -m devtools run` reuses it
    assert not _fresh_local_state(Settings())
    monkeypatch.setenv("LEDGER_RPC_URL", f"http://127.0.0.1:{free_port()}")  # nothing there: a node of its own
    assert _fresh_local_state(Settings())
