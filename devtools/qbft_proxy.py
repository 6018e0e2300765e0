"""A JSON-RPC proxy in front of a development node (Hardhat or anvil) that answers as a Hyperledger Besu
QBFT node does, so the chain-facing code is proven against Besu's behaviour where Besu cannot run.

What it changes, each as Besu's code does it (hyperledger/besu: QbftExtraDataCodec, RpcErrorType,
JsonRpcArrayExecutor, AbstractBlockParameterMethod, EthGetLogs, QbftGetValidatorsByBlockNumber):

* every block's `extraData` is a QBFT one, RLP([vanity 32 bytes, [validators], vote ([] for none), round,
  [committed seals]]): genesis without seals, every later block sealed by a quorum (⌈2n/3⌉) of the
  validators; `mixHash` is BFT's fixed value, `miner` the round-robin proposer, `difficulty` 1. The
  block hash stays the development node's (nothing here recomputes a header hash);
* `qbft_getValidatorsByBlockNumber` answers the validator addresses (lowercase hex);
* `finalized` and `safe`: a QBFT node sets neither (only the merge coordinator does), so Besu answers
  -39001 "Unknown block"; `finality="latest"` answers them as the head instead (what a QBFT chain means,
  and what a node with a plugin setting the finalized block would answer);
* a batch of more than `max_batch` requests (Besu's `--rpc-http-max-batch-size`, 1024) is refused as a
  whole: HTTP 200, id null, -32005 "Number of requests exceeds max batch size";
* `eth_getLogs` over more than `max_logs_range` blocks (`--rpc-max-logs-range`, 5000): -32005;
* what Besu does not serve: `evm_*`, `hardhat_*`, `anvil_*` -32601 "Method not found",
  `eth_sendTransaction` -32604; a revert in `eth_call`/`eth_estimateGas` is code 3 "Execution reverted"
  with the revert data as hex; a raw transaction from an account off the accounts allowlist is -32007
  "Sender account not authorized to send transactions" (local account permissioning);
* blocks: the development node's automine is switched off and it mines every `block_seconds`
  (Hardhat's and anvil's `evm_setIntervalMining`; Hardhat takes milliseconds, anvil seconds), as a
  QBFT network with `blockperiodseconds` 2 produces a block every 2 s. Both nodes go back to
  automining when the proxy stops.

127.0.0.1 only; a context manager.
"""

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Lock, Thread

import orjson
import rlp
import urllib3
from eth_account import Account
from eth_keys import keys

from devtools.dev_node import free_port

BESU_MAX_BATCH = 1024  # --rpc-http-max-batch-size default (DefaultCommandValues.DEFAULT_HTTP_MAX_BATCH_SIZE)
BESU_MAX_LOGS_RANGE = 5000  # --rpc-max-logs-range default (ApiConfigurationOptions)
BFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"  # BftHelpers.EXPECTED_MIX_HASH
VANITY = bytes(32)

METHOD_NOT_FOUND = {"code": -32601, "message": "Method not found"}
SEND_TX_NOT_AVAILABLE = {
    "code": -32604,
    "message": "The method eth_sendTransaction is not supported. "
    "Use eth_sendRawTransaction to send a signed transaction to Besu.",
}
UNKNOWN_BLOCK = {"code": -39001, "message": "Unknown block"}
BATCH_TOO_LARGE = {"code": -32005, "message": "Number of requests exceeds max batch size"}
RANGE_TOO_LARGE = {"code": -32005, "message": "Requested range exceeds maximum RPC range limit"}
NOT_AUTHORIZED = {"code": -32007, "message": "Sender account not authorized to send transactions"}
NONCE_TOO_LOW = {"code": -32001, "message": "Nonce too low"}
KNOWN_TRANSACTION = {"code": -32000, "message": "Known transaction"}

_DEV_ONLY = re.compile(r"^(evm|hardhat|anvil)_")
_BLOCK_METHODS = {"eth_getBlockByNumber", "eth_getBlockByHash"}
_TAGGED = {  # methods whose block parameter is at this index
    "eth_getBlockByNumber": 0,
    "eth_call": 1,
    "eth_estimateGas": 1,
    "eth_getBalance": 1,
    "eth_getCode": 1,
    "eth_getStorageAt": 2,
    "eth_getTransactionCount": 1,
    "qbft_getValidatorsByBlockNumber": 0,
}


def qbft_extra_data(validators: list[bytes], *, round_number: int = 0, seals: list[bytes] | None = None) -> bytes:
    """QBFT extraData as Besu's QbftExtraDataCodec writes it: RLP([vanity, validators, vote, round, seals]),
    with no vote (an empty list)."""
    return rlp.encode([VANITY, list(validators), [], round_number, list(seals or [])])


def validators_of(extra_data: str | bytes) -> list[str]:
    """The validator addresses (lowercase 0x hex) a QBFT extraData names."""
    raw = bytes.fromhex(extra_data.removeprefix("0x")) if isinstance(extra_data, str) else extra_data
    _vanity, validators, _vote, _round, _seals = rlp.decode(raw)
    return ["0x" + v.hex() for v in validators]


@dataclass
class QbftProxy:
    """Answers as a QBFT validator would, forwarding what Besu serves alike to the node at `upstream`."""

    upstream: str
    validator_count: int = 4
    block_seconds: int | None = 2  # None: leave the node's mining as it is (another proxy sets it)
    finality: str = "unknown"  # "unknown": Besu's -39001 for finalized/safe; "latest": the head
    max_batch: int = BESU_MAX_BATCH
    max_logs_range: int = BESU_MAX_LOGS_RANGE
    accounts_allowlist: set[str] | None = None  # lowercase addresses; None: every account may send
    seen: Counter = field(default_factory=Counter)

    def __post_init__(self):
        if self.finality not in ("unknown", "latest"):
            raise ValueError(f"finality: 'unknown' (Besu's answer) or 'latest', not {self.finality!r}")
        accounts = sorted((Account.create() for _ in range(self.validator_count)), key=lambda a: a.address.lower())
        self._keys = [keys.PrivateKey(a.key) for a in accounts]
        self.validators = [a.address.lower() for a in accounts]  # sorted, as Besu lists them
        self._validator_bytes = [bytes.fromhex(v[2:]) for v in self.validators]
        self.quorum = math.ceil(2 * self.validator_count / 3)
        self._lock = Lock()  # `seen` and `_sealed` are shared by the server's threads
        self._sealed: dict[str, list[bytes]] = {}  # block hash -> the quorum's seals
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._http = urllib3.PoolManager(maxsize=16)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                payload = orjson.dumps(proxy.answer(orjson.loads(body)))
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = Thread(target=self._server.serve_forever, name="qbft-proxy", daemon=True)

    # -- start and stop -----------------------------------------------------------------------

    def __enter__(self) -> "QbftProxy":
        if self.block_seconds is not None:
            self._mine_every(self.block_seconds)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)
        if self.block_seconds is not None:
            self._mine_every(None)

    def _mine_every(self, seconds: int | None) -> None:
        """Interval mining every `seconds` without automine; None: back to automining."""
        hardhat = self._upstream_result("web3_clientVersion").lower().startswith("hardhat")
        interval = 0 if seconds is None else seconds * 1000 if hardhat else seconds
        self._upstream_result("evm_setAutomine", [seconds is None])
        self._upstream_result("evm_setIntervalMining", [interval])

    # -- answers ------------------------------------------------------------------------------

    def _count(self, what: str) -> None:
        with self._lock:
            self.seen[what] += 1

    def answer(self, request: dict | list) -> dict | list:
        self._count("requests")
        if not isinstance(request, list):
            return self._answers([request])[0]
        self._count("batches")
        if len(request) > self.max_batch:
            self._count("refused_batches")
            return {"jsonrpc": "2.0", "id": None, "error": BATCH_TOO_LARGE}
        return self._answers(request)

    def _answers(self, requests: list[dict]) -> list[dict]:
        """One answer per request, in order: Besu's refusals here, the rest from the node in one batch."""
        answers: list[dict] = []
        pending: list[tuple[int, dict]] = []  # (slot in answers, the client's request)
        forwarded: list[dict] = []
        for request in requests:
            method, params = request["method"], list(request.get("params") or [])
            refusal = self._refusal(method, params)
            answers.append({"jsonrpc": "2.0", "id": request.get("id"), "error": refusal})
            if refusal is not None:
                self._count(f"refused {method}")
                continue
            index = _TAGGED.get(method)
            if index is not None and len(params) > index and params[index] in ("finalized", "safe"):
                params[index] = "latest"  # finality "latest" (under "unknown" this was refused above)
            if method == "qbft_getValidatorsByBlockNumber":
                method, params = "eth_getBlockByNumber", [params[0], False]  # whether the block exists
            pending.append((len(answers) - 1, request))
            forwarded.append({"jsonrpc": "2.0", "id": len(forwarded), "method": method, "params": params})
        if forwarded:
            replies = {reply["id"]: reply for reply in self._upstream(forwarded)}
            for (slot, request), sent in zip(pending, forwarded):
                answers[slot] = self._as_besu(request, replies[sent["id"]])
        return answers

    def _as_besu(self, request: dict, reply: dict) -> dict:
        method, answer = request["method"], {"jsonrpc": "2.0", "id": request.get("id")}
        if "error" in reply:
            return {**answer, "error": self._besu_error(method, reply["error"])}
        result = reply["result"]
        if method == "qbft_getValidatorsByBlockNumber":
            result = None if result is None else self.validators
        elif method in _BLOCK_METHODS and result:
            result = self._as_qbft_block(result)
        return {**answer, "result": result}

    def _refusal(self, method: str, params: list) -> dict | None:
        """What Besu answers with an error without asking the chain."""
        if _DEV_ONLY.match(method):
            return METHOD_NOT_FOUND
        if method == "eth_sendTransaction":
            return SEND_TX_NOT_AVAILABLE
        index = _TAGGED.get(method)
        if (
            self.finality == "unknown"
            and index is not None
            and len(params) > index
            and params[index] in ("finalized", "safe")
        ):
            return UNKNOWN_BLOCK
        if method == "eth_getLogs" and params:
            low, high = params[0].get("fromBlock"), params[0].get("toBlock")
            if (
                isinstance(low, str)
                and isinstance(high, str)
                and low.startswith("0x")
                and high.startswith("0x")
                and int(high, 16) - int(low, 16) > self.max_logs_range
            ):
                return RANGE_TOO_LARGE
        if method == "eth_sendRawTransaction" and self.accounts_allowlist is not None:
            sender = Account.recover_transaction(params[0]).lower()
            if sender not in self.accounts_allowlist:
                return NOT_AUTHORIZED
        return None

    @staticmethod
    def _besu_error(method: str, error: dict) -> dict:
        """The development node's error as Besu words it, where the two differ."""
        data = error.get("data")
        while isinstance(data, dict):  # Hardhat nests the revert data in an object
            data = data.get("data")
        if method in ("eth_call", "eth_estimateGas") and isinstance(data, str) and data.startswith("0x"):
            return {"code": 3, "message": "Execution reverted", "data": data}
        message = str(error.get("message", "")).lower()
        if method == "eth_sendRawTransaction" and "nonce too low" in message:
            return NONCE_TOO_LOW
        if method == "eth_sendRawTransaction" and "already" in message:
            return KNOWN_TRANSACTION
        return error

    def _as_qbft_block(self, block: dict) -> dict:
        number = int(block["number"], 16)
        if number == 0:
            extra = qbft_extra_data(self._validator_bytes)
        else:
            # Each seal signs the block hash: a stand-in for Besu's commit-seal digest (nothing here checks seals).
            extra = qbft_extra_data(self._validator_bytes, seals=self._seals(block["hash"]))
        return {
            **block,
            "extraData": "0x" + extra.hex(),
            "mixHash": BFT_MIX_HASH,
            "miner": self.validators[number % self.validator_count],
            "difficulty": "0x1",
            "nonce": "0x0000000000000000",
        }

    def _seals(self, block_hash: str) -> list[bytes]:
        with self._lock:
            seals = self._sealed.get(block_hash)
        if seals is None:  # signing is slow in pure Python: each block is sealed once
            digest = bytes.fromhex(block_hash[2:])
            seals = [key.sign_msg_hash(digest).to_bytes() for key in self._keys[: self.quorum]]
            with self._lock:
                self._sealed[block_hash] = seals
        return seals

    # -- the development node -----------------------------------------------------------------

    def _upstream(self, request: dict | list):
        reply = self._http.request(
            "POST", self.upstream, body=orjson.dumps(request), headers={"content-type": "application/json"}, timeout=60
        )
        return orjson.loads(reply.data)

    def _upstream_result(self, method: str, params: list | None = None):
        reply = self._upstream({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
        if "error" in reply:
            raise RuntimeError(f"{method} on the development node: {reply['error']}")
        return reply["result"]
