"""The city's credit platform (信用信息共享平台), simulated: it receives the ledger's credit event pushes
(docs/integrators/credit-push.md) and checks them as a real intake would —

* the signature, against the key the ledger publishes (GET /v1/public/keys/webhook, fetched once), over
  this endpoint's request target and the body received; the timestamp window; each nonce once (401);
* the envelope's schema version (1) and the record against docs/integrators/credit-event.schema.json (422);
* duplicates by event id (answered 200, kept once, counted);
* order per enterprise: `enterprise_sequence` must be the enterprise's last + 1 (else 409, counted).

It can be told to be down (503 for every push) for a while, or to refuse one enterprise's pushes.
POST /credit-events takes the pushes; GET /credit-events lists what it took; GET /status sums it up;
POST /control/down?seconds=N and POST /control/up switch it. Plain `http.server` on 127.0.0.1, like the
other simulators: it stands in for a system outside this project."""

import base64
import json
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from jsonschema import Draft202012Validator

from devtools import REPO_ROOT
from ledger.access.signing import canonical_request, public_key_from_raw, verify_signature
from ledger.core.crypto_profile import profile_of_key

log = logging.getLogger("devtools.sim")

SCHEMA_PATH = REPO_ROOT / "docs" / "integrators" / "credit-event.schema.json"
PATH = "/credit-events"
SIGNATURE_WINDOW_SECONDS = 300
SCHEMA_VERSION = 1


@dataclass
class Received:
    event_id: str
    enterprise_key: str
    enterprise_sequence: int
    record: dict
    received_at: float


@dataclass
class Intake:
    """What the platform holds: the events it took (once each), by enterprise in the order taken."""

    events: list[Received] = field(default_factory=list)
    by_id: dict[str, Received] = field(default_factory=dict)
    last_sequence: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    out_of_order: int = 0
    refused: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # status → how many
    nonces: dict[str, float] = field(default_factory=dict)


class CreditPlatform:
    def __init__(self, key_url: str, host: str = "127.0.0.1", port: int = 8102):
        """`key_url`: the ledger's published webhook key (its API's /v1/public/keys/webhook)."""
        self.key_url = key_url
        self.intake = Intake()
        self.lock = threading.Lock()
        self.down_until = 0.0
        self.refusing: set[str] = set()  # enterprise keys whose pushes are answered 503
        self._key: Any = None
        self._validator = Draft202012Validator(
            json.loads(SCHEMA_PATH.read_text()), format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.url = f"http://{host}:{self.server.server_address[1]}"

    @property
    def push_url(self) -> str:
        """The ledger's setting (LEDGER_CREDIT_SHARING_URL)."""
        return self.url + PATH

    def start(self) -> "CreditPlatform":
        threading.Thread(target=self.server.serve_forever, daemon=True, name="credit-platform").start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what a test or the operator tells it ---------------------------------------------------

    def down(self, seconds: float = 3600.0) -> None:
        self.down_until = time.time() + seconds

    def up(self) -> None:
        self.down_until = 0.0

    def refuse(self, enterprise_key: str) -> None:
        self.refusing.add(enterprise_key)

    def accept(self, enterprise_key: str) -> None:
        self.refusing.discard(enterprise_key)

    def received(self) -> list[Received]:
        with self.lock:
            return list(self.intake.events)

    def status(self) -> dict:
        with self.lock:
            intake = self.intake
            return {
                "received": len(intake.events),
                "enterprises": len(intake.last_sequence),
                "duplicates": intake.duplicates,
                "out_of_order": intake.out_of_order,
                "refused": dict(intake.refused),
                "down": time.time() < self.down_until,
            }

    # --- taking a push ----------------------------------------------------------------------------

    def public_key(self) -> Any:
        if self._key is None:
            published = requests.get(self.key_url, timeout=10).json()
            self._key = public_key_from_raw(base64.b64decode(published["public_key_base64"]))
        return self._key

    def take(self, target: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        """Answer one push: (status, body)."""
        if time.time() < self.down_until:
            return self._refused(503, "down for maintenance (simulated)")
        problem = self._signature_problem(target, headers, body)
        if problem:
            return self._refused(401, problem)
        try:
            push = json.loads(body)
        except ValueError:
            return self._refused(400, "the body is not JSON")
        if push.get("schema_version") != SCHEMA_VERSION or headers.get("X-Credit-Schema-Version") != "1":
            return self._refused(422, f"schema version {push.get('schema_version')!r} is not {SCHEMA_VERSION}")
        errors = [e.message for e in self._validator.iter_errors(push.get("record"))]
        envelope = (push.get("event_id"), push.get("enterprise_key"), push.get("enterprise_sequence"))
        if errors or not all(envelope) or push["enterprise_key"] != push["record"]["enterprise_key"]:
            return self._refused(422, "; ".join(errors) or "the envelope is incomplete")
        if headers.get("X-Credit-Event-Id") != push["event_id"]:
            return self._refused(422, "X-Credit-Event-Id is not the body's event_id")
        if push["enterprise_key"] in self.refusing:
            return self._refused(503, "this enterprise's intake is closed (simulated)")
        with self.lock:
            intake = self.intake
            if push["event_id"] in intake.by_id:
                intake.duplicates += 1
                return 200, {"event_id": push["event_id"], "duplicate": True}
            expected = intake.last_sequence.get(push["enterprise_key"], 0) + 1
            if push["enterprise_sequence"] != expected:
                intake.out_of_order += 1
                intake.refused[409] += 1
                return 409, {"detail": f"enterprise_sequence {push['enterprise_sequence']}, expected {expected}"}
            taken = Received(
                push["event_id"], push["enterprise_key"], push["enterprise_sequence"], push["record"], time.time()
            )
            intake.events.append(taken)
            intake.by_id[taken.event_id] = taken
            intake.last_sequence[taken.enterprise_key] = taken.enterprise_sequence
        return 200, {"event_id": push["event_id"], "duplicate": False}

    def _refused(self, status: int, detail: str) -> tuple[int, dict]:
        with self.lock:
            self.intake.refused[status] += 1
        return status, {"detail": detail}

    def _signature_problem(self, target: str, headers: dict[str, str], body: bytes) -> str | None:
        timestamp, nonce, signature = (headers.get(h) for h in ("X-Timestamp", "X-Nonce", "X-Signature"))
        if not (timestamp and nonce and signature and timestamp.isdigit()):
            return "unsigned"
        now = time.time()
        if abs(now - int(timestamp)) > SIGNATURE_WINDOW_SECONDS:
            return "the timestamp is outside the window"
        key = self.public_key()
        profile = profile_of_key(key)
        message = canonical_request("POST", target, timestamp, nonce, body, profile)
        if not verify_signature(key, signature, message):
            return "bad signature"
        with self.lock:
            nonces = self.intake.nonces
            if nonce in nonces:
                return "nonce seen before"
            nonces[nonce] = now
            for old in [n for n, at in nonces.items() if at < now - 3 * SIGNATURE_WINDOW_SECONDS]:
                del nonces[old]
        return None

    def _handler(self):
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, fmt, *args):
                log.debug("credit platform: " + fmt, *args)

            def _json(self, status: int, body: Any) -> None:
                content = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def do_GET(self):
                path = urlsplit(self.path).path
                if path == PATH:
                    return self._json(200, [r.__dict__ for r in platform.received()])
                if path in ("/", "/status"):
                    return self._json(200, platform.status())
                return self._json(404, {"detail": "not found"})

            def do_POST(self):
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if parts.path == PATH:
                    status, answer = platform.take(self.path, dict(self.headers), body)
                    return self._json(status, answer)
                if parts.path == "/control/down":
                    platform.down(float(parse_qs(parts.query).get("seconds", ["3600"])[0]))
                    return self._json(200, platform.status())
                if parts.path == "/control/up":
                    platform.up()
                    return self._json(200, platform.status())
                return self._json(404, {"detail": "not found"})

        return Handler
