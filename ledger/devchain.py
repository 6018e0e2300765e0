"""Start and stop a throwaway local Hardhat node (for benchmarks, tests and `make run`)."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from ledger.errors import ChainUnavailable, LedgerError
from ledger.rpc import JsonRpc
from ledger.settings import REPO_ROOT

HARDHAT_DIR = REPO_ROOT / "hardhat-local"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rpc_ready(url: str) -> bool:
    try:
        JsonRpc(url, timeout=1).chain_id()
        return True
    except LedgerError:
        return False


class LocalNode:
    """A fresh Hardhat node on 127.0.0.1; a context manager that stops it on exit."""

    def __init__(self, port: int | None = None, *, log_path: Path | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_path = log_path
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "LocalNode":
        hardhat = HARDHAT_DIR / "node_modules" / ".bin" / "hardhat"
        if not hardhat.exists():
            raise ChainUnavailable(f"{hardhat} is missing; run `npm ci` in hardhat-local/ (make install)")
        log = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL
        self._process = subprocess.Popen(
            [str(hardhat), "node", "--hostname", "127.0.0.1", "--port", str(self.port)],
            cwd=HARDHAT_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() takes its children too
            env={**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true"},
        )
        deadline = time.monotonic() + timeout
        while not rpc_ready(self.url):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ChainUnavailable(f"the local Hardhat node did not start on {self.url}")
            time.sleep(0.2)
        return self

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        self._process = None

    def __enter__(self) -> "LocalNode":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
