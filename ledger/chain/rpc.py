"""A lean JSON-RPC client (the indexer's hot path, health checks): raw dicts, orjson, batches.

Failures are sorted here: no answer, a timeout, HTTP 5xx or non-JSON → `ChainUnavailable`;
HTTP 429 or a rate-limit error → `RateLimited` (both transient); any other error the node
names → `RpcError`. Batches are cut to `batch_size` requests (nodes refuse larger ones), and
a batch the node still refuses as a whole is halved. Messages name the node by host and port
only: the URL's path or user part may carry an API key.
"""

import itertools
import logging
import re
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
import urllib3

from ledger.core.errors import ChainUnavailable, LedgerError, RateLimited

log = logging.getLogger(__name__)

_RATE_LIMIT = re.compile(r"rate.?limit|too many requests|request limit|capacity|throttl", re.IGNORECASE)


class RpcError(LedgerError):
    """The node answered a request with an error."""

    def __init__(self, method: str, error: dict):
        self.method = method
        self.code, self.message = error.get("code"), error.get("message", "")
        self.data = error.get("data")  # revert data of a failed call, where the node gives it
        super().__init__(f"{method}: {self.message} (code {self.code})")


def node_name(url: str) -> str:
    """host:port of a node URL, without the credentials its user part or path may carry."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def _error(method: str, error: dict) -> LedgerError:
    if error.get("code") == 429 or _RATE_LIMIT.search(str(error.get("message", ""))):
        return RateLimited(f"{method}: rate limited by the node: {error.get('message', '')}")
    return RpcError(method, error)


class JsonRpc:
    def __init__(self, url: str, *, timeout: float = 60, batch_size: int = 500):
        self.url, self.timeout, self.batch_size = url, timeout, batch_size
        self.node = node_name(url)
        self._session = requests.Session()
        self._ids = itertools.count(1)

    def _post(self, body) -> Any:  # the node's JSON
        try:
            response = self._session.post(
                self.url,
                data=orjson.dumps(body),
                headers={"content-type": "application/json"},
                timeout=self.timeout,
                stream=True,  # read the body in one call below: `.content` would read it in 10 KiB chunks
            )
            with response:
                content = response.raw.read(decode_content=True)
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise ChainUnavailable(f"no JSON-RPC answer from {self.node}: {exc.__class__.__name__}") from exc
        if response.status_code == 429:
            raise RateLimited(f"{self.node} answered HTTP 429 (rate limited)")
        if response.status_code >= 500 or not content:
            raise ChainUnavailable(f"{self.node} answered HTTP {response.status_code}")
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            raise ChainUnavailable(f"{self.node} answered HTTP {response.status_code} without JSON") from exc

    def call(self, method: str, params: list | None = None):
        reply = self._post({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params or []})
        if "error" in reply:
            raise _error(method, reply["error"])
        return reply["result"]

    def batch(self, method: str, params_list: list[list]) -> list:
        """One result per params, in order, in batches of at most `batch_size` requests."""
        results = []
        for start in range(0, len(params_list), self.batch_size):
            results.extend(self._batch(method, params_list[start : start + self.batch_size]))
        return results

    def _batch(self, method: str, params_list: list[list]) -> list:
        first = next(self._ids)
        body = [{"jsonrpc": "2.0", "id": first + i, "method": method, "params": p} for i, p in enumerate(params_list)]
        self._ids = itertools.count(first + len(body))
        replies = self._post(body)
        if isinstance(replies, dict):  # the batch refused as a whole (too large, or no batches at all)
            error = replies.get("error") or {"message": "batch refused"}
            if len(body) == 1 or isinstance(_error(method, error), RateLimited):
                raise _error(method, error)
            half = len(body) // 2
            log.warning(
                "%s refused a batch of %d requests (%s); sending at most %d",
                self.node,
                len(body),
                error.get("message"),
                half,
            )
            self.batch_size = min(self.batch_size, half)
            return self._batch(method, params_list[:half]) + self._batch(method, params_list[half:])
        by_id = {reply.get("id"): reply for reply in replies}
        results = []
        for request in body:
            reply = by_id.get(request["id"])
            if reply is None:
                raise ChainUnavailable(f"{self.node} left request {request['id']} of a batch unanswered")
            if "error" in reply:
                raise _error(method, reply["error"])
            results.append(reply["result"])
        return results

    def chain_id(self) -> int:
        return int(self.call("eth_chainId"), 16)

    def block_number(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def block(self, number: int | str) -> dict | None:
        tag = hex(number) if isinstance(number, int) else number
        return self.call("eth_getBlockByNumber", [tag, False])

    def existing_block(self, number: int | str) -> dict:
        """A block every node has (genesis, `latest`, a deployed contract's): a node that answers null for it
        is unavailable."""
        block = self.block(number)
        if block is None:
            raise ChainUnavailable(f"{self.node} has no block {number}")
        return block

    def blocks(self, numbers: list[int]) -> list[dict | None]:
        return self.batch("eth_getBlockByNumber", [[hex(n), False] for n in numbers])

    def finalized_block_number(self) -> int | None:
        """The `finalized` block where the node knows the tag, else None."""
        try:
            block = self.block("finalized")
        except RpcError:
            return None
        return int(block["number"], 16) if block else None

    def get_logs(self, addresses: list[str], from_block: int, to_block: int) -> list[dict]:
        return self.call(
            "eth_getLogs", [{"address": addresses, "fromBlock": hex(from_block), "toBlock": hex(to_block)}]
        )
