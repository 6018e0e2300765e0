"""A lean JSON-RPC client (the indexer's hot path, health checks): raw dicts, orjson, batches."""

import itertools

import orjson
import requests
import urllib3

from ledger.errors import ChainUnavailable, LedgerError


class RpcError(LedgerError):
    """The node answered a request with an error."""

    def __init__(self, method: str, error: dict):
        self.code, self.message = error.get("code"), error.get("message", "")
        self.data = error.get("data")  # revert data of a failed call, where the node gives it
        super().__init__(f"{method}: {self.message} (code {self.code})")


class JsonRpc:
    def __init__(self, url: str, *, timeout: float = 60):
        self.url, self.timeout = url, timeout
        self._session = requests.Session()
        self._ids = itertools.count(1)

    def _post(self, body) -> object:
        try:
            response = self._session.post(
                self.url, data=orjson.dumps(body), headers={"content-type": "application/json"}, timeout=self.timeout,
                stream=True,  # read the body in one call below: `.content` would read it in 10 KiB chunks
            )
            with response:
                content = response.raw.read(decode_content=True)
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise ChainUnavailable(f"no JSON-RPC answer at {self.url}: {exc}") from exc
        if response.status_code >= 500 or not content:
            raise ChainUnavailable(f"{self.url} answered HTTP {response.status_code}")
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            raise ChainUnavailable(f"{self.url} answered HTTP {response.status_code} without JSON") from exc

    def call(self, method: str, params: list | None = None):
        reply = self._post({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params or []})
        if "error" in reply:
            raise RpcError(method, reply["error"])
        return reply["result"]

    def batch(self, method: str, params_list: list[list]) -> list:
        if not params_list:
            return []
        first = next(self._ids)
        body = [{"jsonrpc": "2.0", "id": first + i, "method": method, "params": p} for i, p in enumerate(params_list)]
        self._ids = itertools.count(first + len(body))
        replies = self._post(body)
        if isinstance(replies, dict):  # a node that refuses batches answers with one error
            raise RpcError(method, replies.get("error", {"message": "batch refused"}))
        by_id = {reply["id"]: reply for reply in replies}
        results = []
        for request in body:
            reply = by_id[request["id"]]
            if "error" in reply:
                raise RpcError(method, reply["error"])
            results.append(reply["result"])
        return results

    def chain_id(self) -> int:
        return int(self.call("eth_chainId"), 16)

    def block_number(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def block(self, number: int | str) -> dict | None:
        tag = hex(number) if isinstance(number, int) else number
        return self.call("eth_getBlockByNumber", [tag, False])

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
        return self.call("eth_getLogs", [{"address": addresses, "fromBlock": hex(from_block), "toBlock": hex(to_block)}])
