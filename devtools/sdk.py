"""A client for the ledger API that signs every request like the tax and approval systems do
(docs/integrators/). The simulators, tests and benchmarks use it.

    client = LedgerClient("http://127.0.0.1:8000", "tax-bureau", load_private_key(Path("tax.key")))
    accepted = client.post("/v1/tax/payments", payment, idempotency_key="pay-332026000000123456")
    client.wait_for(accepted["command_id"], "indexed")
"""

import json as jsonlib
import time
import uuid
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.access.signing import sign_request
from ledger.core.errors import LedgerError


class ApiError(LedgerError):
    """The API answered with a problem (RFC 9457); `problem` holds it."""

    def __init__(self, status: int, problem: dict):
        self.status, self.problem = status, problem
        field = f" [{problem.get('field')}: {problem.get('rule')}]" if problem.get("field") else ""
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', '')}{field}")


def encode_body(payload) -> bytes:
    """Compact UTF-8 JSON. The signature covers these exact bytes, so send them unchanged."""
    return jsonlib.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def path_of(*segments: str) -> str:
    return "/" + "/".join(quote(s, safe="") for s in segments)


class LedgerClient:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        private_key: Ed25519PrivateKey,
        *,
        timeout: float = 30,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.private_key = private_key
        self.timeout = timeout
        self.http = session or requests.Session()

    def request(
        self,
        method: str,
        path: str,
        *,
        json=None,
        body: bytes | None = None,
        params: dict | None = None,
        idempotency_key: str | None = None,
        headers: dict | None = None,
    ) -> requests.Response:
        """Send one signed request and return the raw response (no status check)."""
        target = path + ("?" + urlencode(params) if params else "")
        if body is None:
            body = encode_body(json) if json is not None else b""
        signed = sign_request(self.private_key, client_id=self.client_id, method=method, target=target, body=body)
        sent = {**signed.as_dict(), **(headers or {})}
        if body:
            sent.setdefault("Content-Type", "application/json")
        if method.upper() == "POST":
            sent.setdefault("Idempotency-Key", idempotency_key or str(uuid.uuid4()))
        return self.http.request(method, self.base_url + target, data=body, headers=sent, timeout=self.timeout)

    def call(self, method: str, path: str, **kw):
        """Send and return the decoded JSON; raise ApiError on a problem."""
        response = self.request(method, path, **kw)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason, "detail": response.text[:500]}
            raise ApiError(response.status_code, problem)
        return response.json() if response.content else None

    def get(self, path: str, **params):
        return self.call("GET", path, params=params or None)

    def post(self, path: str, payload, *, idempotency_key: str | None = None):
        return self.call("POST", path, json=payload, idempotency_key=idempotency_key)

    # --- conveniences ---------------------------------------------------------------------------

    def levies(self, cursor: str | None = None, limit: int = 100) -> Iterator[tuple[dict, str | None]]:
        """Every levy after `cursor`, each with the cursor to resume after its page."""
        while True:
            page = self.get("/v1/tax/levies", **({"cursor": cursor} if cursor else {}), limit=limit)
            for levy in page["items"]:
                yield levy, page["next_cursor"] or cursor
            if not page["next_cursor"]:
                return
            cursor = page["next_cursor"]

    def command(self, command_id: str) -> dict:
        return self.get(path_of("v1", "commands", command_id))

    def wait_for(self, command_id: str, status: str = "indexed", timeout: float = 60, poll: float = 0.2) -> dict:
        """Poll a command until it reaches `status` (or fails); ApiError-free, raises LedgerError on timeout/failure."""
        order = ["accepted", "submitted", "mined", "indexed"]
        deadline = time.monotonic() + timeout
        while True:
            current = self.command(command_id)
            if current["status"] == "failed":
                raise LedgerError(f"command {command_id} failed: {current.get('error')}")
            if order.index(current["status"]) >= order.index(status):
                return current
            if time.monotonic() > deadline:
                raise LedgerError(f"command {command_id} is {current['status']} after {timeout} s, not {status}")
            time.sleep(poll)
