"""A JSON-RPC proxy in front of the Hardhat node that behaves like real nodes and networks:
request limits (Geth's and Besu's batch caps, providers' eth_getLogs result caps), faults
(connection resets, HTTP 502 and 429, a timeout), a node that answers eth_getLogs before it
indexed a block, logs with a topic no ABI declares, a `finalized` block behind the head, and a
hold on eth_getLogs to keep a fetch in flight. Everything it did is counted in `seen`.
"""

import random
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import urllib3

from devtools.dev_node import free_port

UNKNOWN_TOPIC = "0x" + "ee" * 32  # no ABI here declares it


@dataclass
class Faults:
    max_batch: int | None = None  # refuse larger JSON-RPC batches as a whole, like Geth (1000) and Besu (1024)
    max_log_range: int | None = None  # refuse eth_getLogs over more blocks: "query returned more than 10000 results"
    reset_rate: float = 0.0  # share of requests whose connection is reset without an answer
    http_502_rate: float = 0.0
    http_429_rate: float = 0.0
    timeouts: int = 0  # this many requests are answered only after `timeout_seconds`
    timeout_seconds: float = 0.0
    empty_logs_once: bool = False  # the first eth_getLogs answer that has logs is replaced by []
    unknown_log_in_block: int | None = None  # add a log with UNKNOWN_TOPIC from `unknown_log_address` there
    unknown_log_address: str | None = None
    finalized_lag: int | None = None  # `finalized` is this many blocks behind the head
    hold_get_logs: threading.Event | None = None  # eth_getLogs waits until this is set
    hold_from: int = 1  # ... from the n-th eth_getLogs on (the earlier ones pass)
    get_logs_delay: float = 0.0  # every eth_getLogs answer is this much late (a slow node)
    seed: int = 1


@dataclass
class FaultyNode:
    upstream: str
    faults: Faults = field(default_factory=Faults)
    seen: Counter = field(default_factory=Counter)
    get_logs_held: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._random = random.Random(self.faults.seed)
        self._lock = threading.Lock()
        self._http = urllib3.PoolManager(maxsize=16)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                proxy._handle(self, body)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="faulty-node", daemon=True)

    def __enter__(self) -> "FaultyNode":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.faults.hold_get_logs is not None:
            self.faults.hold_get_logs.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    # -- the proxy --------------------------------------------------------------------------

    def _chance(self, rate: float) -> bool:
        with self._lock:
            return rate > 0 and self._random.random() < rate

    def _take_timeout(self) -> bool:
        with self._lock:
            if self.faults.timeouts > 0:
                self.faults.timeouts -= 1
                return True
            return False

    def _upstream(self, request):
        reply = self._http.request(
            "POST", self.upstream, body=orjson.dumps(request), headers={"content-type": "application/json"}, timeout=60
        )
        return orjson.loads(reply.data)

    def _handle(self, handler, body: bytes) -> None:
        request = orjson.loads(body)
        faults, seen = self.faults, self.seen
        with self._lock:
            seen["requests"] += 1
            if isinstance(request, list):
                seen["batches"] += 1
                seen["largest_batch"] = max(seen["largest_batch"], len(request))
        if self._chance(faults.reset_rate):
            seen["resets"] += 1
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            handler.connection.close()
            handler.close_connection = True
            return
        if self._chance(faults.http_502_rate):
            seen["http_502"] += 1
            return self._send(handler, 502, b"<html>502 Bad Gateway</html>", "text/html")
        if self._chance(faults.http_429_rate):
            seen["http_429"] += 1
            return self._send(handler, 429, b"Too Many Requests", "text/plain")
        if self._take_timeout():
            seen["timeouts"] += 1
            time.sleep(faults.timeout_seconds)
        if isinstance(request, list):
            if faults.max_batch is not None and len(request) > faults.max_batch:
                seen["refused_batches"] += 1
                return self._json(
                    handler, {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "batch too large"}}
                )
            return self._json(handler, [self._one(r) for r in request])
        return self._json(handler, self._one(request))

    def _one(self, request: dict) -> dict:
        faults, method, params = self.faults, request["method"], request.get("params") or []
        if method == "eth_getLogs":
            return self._get_logs(request)
        if (
            method == "eth_getBlockByNumber"
            and params
            and params[0] == "finalized"
            and faults.finalized_lag is not None
        ):
            head = int(self._upstream({"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"})["result"], 16)
            request = {**request, "params": [hex(max(0, head - faults.finalized_lag)), *params[1:]]}
        return self._upstream(request)

    def _get_logs(self, request: dict) -> dict:
        faults, query = self.faults, request["params"][0]
        low, high = int(query["fromBlock"], 16), int(query["toBlock"], 16)
        with self._lock:
            self.seen["get_logs"] += 1
            ordinal = self.seen["get_logs"]
        if faults.hold_get_logs is not None and ordinal >= faults.hold_from and not faults.hold_get_logs.is_set():
            self.get_logs_held.set()
            faults.hold_get_logs.wait(60)
        if faults.get_logs_delay:
            time.sleep(faults.get_logs_delay)
        if faults.max_log_range is not None and high - low + 1 > faults.max_log_range:
            self.seen["refused_ranges"] += 1
            return {
                "jsonrpc": "2.0",
                "id": request["id"],
                "error": {"code": -32005, "message": "query returned more than 10000 results"},
            }
        reply = self._upstream(request)
        logs = reply.get("result")
        if logs and faults.empty_logs_once:
            with self._lock:
                if faults.empty_logs_once:
                    faults.empty_logs_once = False
                    self.seen["emptied_answers"] += 1
                    return {**reply, "result": []}
        block = faults.unknown_log_in_block
        if logs is not None and block is not None and low <= block <= high:
            header = self._upstream(
                {"jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber", "params": [hex(block), False]}
            )["result"]
            logs.append(
                {
                    "address": faults.unknown_log_address,
                    "topics": [UNKNOWN_TOPIC, "0x" + "00" * 31 + "01"],
                    "data": "0x" + "ab" * 32,
                    "blockNumber": hex(block),
                    "blockHash": header["hash"],
                    "transactionHash": "0x" + "cd" * 32,
                    "transactionIndex": "0x0",
                    "logIndex": hex(1000),
                    "removed": False,
                }
            )
            self.seen["unknown_logs"] += 1
        return reply

    def _json(self, handler, payload) -> None:
        self._send(handler, 200, orjson.dumps(payload), "application/json")

    @staticmethod
    def _send(handler, status: int, body: bytes, content_type: str) -> None:
        handler.send_response(status)
        handler.send_header("content-type", content_type)
        handler.send_header("content-length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
