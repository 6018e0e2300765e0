"""Start and stop a throwaway local EVM node (for benchmarks, tests and `make run`).

Two independent implementations, both pinned in hardhat-local/package.json: Hardhat (the
default) and Foundry's anvil. Both serve the development mnemonic's accounts on chain id 31337.
"""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from ledger.core.errors import ChainUnavailable, LedgerError
from ledger.chain.rpc import JsonRpc
from devtools import REPO_ROOT
from ledger.core.settings import DEV_MNEMONIC, NodeKind

HARDHAT_DIR = REPO_ROOT / "hardhat-local"
NODE_KINDS: tuple[NodeKind, ...] = ("hardhat", "anvil")
CHAIN_ID = 31337


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


def node_command(kind: NodeKind, port: int) -> list[str]:
    """The command line of a development node of `kind` on 127.0.0.1:port."""
    binary = HARDHAT_DIR / "node_modules" / ".bin" / kind
    if not binary.exists():
        raise ChainUnavailable(f"{binary} is missing; run `npm ci` in hardhat-local/ (make install)")
    if kind == "hardhat":  # accounts, chain id, hardfork and gas limit: hardhat-local/hardhat.config.js
        return [str(binary), "node", "--hostname", "127.0.0.1", "--port", str(port)]
    # anvil: the same accounts, chain id, hardfork and block gas limit as hardhat.config.js
    return [
        str(binary),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--chain-id",
        str(CHAIN_ID),
        "--mnemonic",
        DEV_MNEMONIC,
        "--accounts",
        "10",
        "--balance",
        "10000",
        "--hardfork",
        "cancun",
        "--gas-limit",
        "60000000",
        "--silent",
    ]


def keep_first_genesis(state_path: Path) -> None:
    """anvil (1.7) makes a genesis block of its own each time it starts, before it loads `--state`, and its
    next dump holds both: after two restarts the chain's block 0 may be served as any of them (a new genesis
    hash, which the indexer rightly takes for a chain reset). The chain's own genesis is the earliest; the
    others are dropped from the state file before it is loaded."""
    import json

    state = json.loads(state_path.read_bytes())

    def number(block: dict, field: str) -> int:
        value = block["header"][field]
        return int(value, 16) if isinstance(value, str) else int(value)

    geneses = [b for b in state.get("blocks", []) if number(b, "number") == 0]
    if len(geneses) > 1:
        first = min(geneses, key=lambda b: number(b, "timestamp"))
        state["blocks"] = [b for b in state["blocks"] if number(b, "number") != 0 or b is first]
        tmp = state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(state_path)


class LocalNode:
    """A fresh development node on 127.0.0.1; a context manager that stops it on exit."""

    def __init__(
        self,
        port: int | None = None,
        *,
        kind: NodeKind = "hardhat",
        log_path: Path | None = None,
        state_path: Path | None = None,
    ):
        """`state_path` (anvil only): the chain is saved there when the node stops and loaded when it starts
        again, blocks and hashes included, so a restarted node serves the same chain."""
        if kind not in NODE_KINDS:
            raise LedgerError(f"unknown development node {kind!r}: one of {', '.join(NODE_KINDS)}")
        if state_path is not None and kind != "anvil":
            raise LedgerError(f"a {kind} node cannot keep its chain across a restart; anvil can (state_path)")
        self.kind = kind
        self.state_path = state_path
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_path = log_path
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "LocalNode":
        command = node_command(self.kind, self.port)
        if self.state_path is not None:
            if self.state_path.exists():
                keep_first_genesis(self.state_path)
            command += ["--state", str(self.state_path)]
        log = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL
        self._process = subprocess.Popen(
            command,
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
                raise ChainUnavailable(f"the local {self.kind} node did not start on {self.url}")
            time.sleep(0.2)
        return self

    def crash(self) -> None:
        """SIGKILL with its chain kept (anvil with `state_path` only): mining stops, the chain is written to
        `state_path` (anvil_dumpState), then the node is killed without a goodbye. What its pool held is lost,
        as when a real node crashes; every mined block is served again after `start()`."""
        import gzip
        import json

        if self.state_path is None or self._process is None:
            raise LedgerError("only an anvil node with a state_path keeps its chain across a crash")
        rpc = JsonRpc(self.url)
        rpc.call("evm_setAutomine", [False])
        state = bytes.fromhex(rpc.call("anvil_dumpState", [])[2:])
        if state[:2] == b"\x1f\x8b":  # gzip
            state = gzip.decompress(state)
        json.loads(state)  # whole, or raise before the node is killed
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_bytes(state)
        tmp.replace(self.state_path)
        os.killpg(self._process.pid, signal.SIGKILL)
        self._process.wait()
        self._process = None

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
