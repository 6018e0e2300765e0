"""End to end with real processes: register → assess → levy in the tax feed → payment confirmation →
on chain → indexed → clearance yes; the approval system's webhook receiver (a real HTTP server)
gets the signed notices and verifies them with the platform's published key."""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from sqlalchemy.orm import Session

from ledger.access.signing import canonical_request, public_key_from_raw, verify_signature
from devtools.dev_node import free_port
from ledger.webhooks.schemas import WebhookEndpointCreate
from ledger.webhooks.delivery import add_endpoint

from devtools.bench.stack import OFFICE_PASSWORD, OFFICE_USER
from devtools.sdk import path_of
from tests.api.conftest import USCC_A, project_body, project_code

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


def office_session(stack) -> requests.Session:
    http = requests.Session()
    answer = http.post(
        stack.api_url + "/v1/auth/login", json={"username": OFFICE_USER, "password": OFFICE_PASSWORD}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    http.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return http


def assess_and_wait_until_indexed(stack, code: str) -> dict:
    """The office assesses; the payer pays once the levy is on chain (FeeLedger refuses a payment time
    before the assessment's block)."""
    office = office_session(stack)
    assessed = office.post(stack.api_url + "/v1/office/assessments", json={"project_code": code}, timeout=30)
    assert assessed.status_code == 202, assessed.text
    deadline = time.monotonic() + 120
    while (
        status := office.get(f"{stack.api_url}/v1/office/commands/{assessed.json()['command_id']}", timeout=30).json()
    )["status"] != "indexed":
        assert status["status"] != "failed" and time.monotonic() < deadline, status
        time.sleep(0.2)
    return status


class WebhookReceiver:
    """The approval system's endpoint: verifies every notice as docs/integrators/webhooks.md says."""

    def __init__(self, public_key, window: int = 300):
        self.public_key, self.window = public_key, window
        self.notices: list[dict] = []
        self.refused: list[str] = []
        self.nonces: set[str] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/ledger?src=platform"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                h = self.headers
                message = canonical_request("POST", self.path, h["X-Timestamp"], h["X-Nonce"], body)
                fresh = (
                    abs(time.time() - int(h["X-Timestamp"])) <= receiver.window and h["X-Nonce"] not in receiver.nonces
                )
                if (
                    h["X-Client-Id"] == "platform"
                    and fresh
                    and verify_signature(receiver.public_key, h["X-Signature"], message)
                ):
                    receiver.nonces.add(h["X-Nonce"])
                    receiver.notices.append(json.loads(body))
                    self.send_response(204)
                else:
                    receiver.refused.append(self.path)
                    self.send_response(401)
                self.end_headers()

        return Handler

    def wait_for(self, predicate, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((n for n in list(self.notices) if predicate(n)), None)
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"no such notice in {self.notices}")


@pytest.fixture(scope="module")
def receiver(stack):
    published = requests.get(stack.api_url + "/v1/public/keys/webhook", timeout=30).json()
    hooks = WebhookReceiver(public_key_from_raw(base64.b64decode(published["public_key_base64"])))
    with Session(stack.engine) as session, session.begin():
        add_endpoint(
            session,
            endpoint=WebhookEndpointCreate(
                subscriber="approval-bureau", url=hooks.url, events=["payment.recorded", "clearance.changed"]
            ),
        )
    yield hooks
    hooks.server.shutdown()


def test_a_registered_assessed_and_paid_project_is_clear_once_indexed(stack, receiver):
    approval, tax = stack.client("approval-bureau"), stack.client("tax-bureau")
    code = project_code()
    approval.post("/v1/approval/projects", project_body(code, USCC_A))
    clearance = approval.get(path_of("v1", "approval", "projects", code, "clearance"))
    assert clearance["clear"] is False and clearance["reasons"][0]["code"] == "fee_unassessed"

    assess_and_wait_until_indexed(stack, code)
    levy = next(levy for levy, _ in tax.levies() if levy["project_code"] == code)
    assert levy["amount_fen"] == 140000 * 200000 // 100  # 1,400 m² shortfall × 2,000 yuan/m² (sample table, 金水区)

    accepted = tax.post(
        "/v1/tax/payments",
        {
            "levy_number": levy["levy_number"],
            "voucher_number": f"E2E-{code}",
            "amount_fen": levy["amount_fen"],
            "paid_at": stack.chain_time().isoformat(),
            "payer_uscc": USCC_A,
        },
    )
    assert accepted["status"] == "accepted" and accepted["status_url"] == f"/v1/commands/{accepted['command_id']}"
    indexed = tax.wait_for(accepted["command_id"], "indexed", timeout=120)
    assert indexed["transaction_hash"] and indexed["block_number"] and indexed["error"] is None

    clearance = approval.get(path_of("v1", "approval", "projects", code, "clearance"))
    assert clearance["clear"] is True, clearance
    assert clearance["fee_status"] == "paid" and clearance["paid_fen"] == levy["amount_fen"]
    assert clearance["proof"]["transaction_hash"] == indexed["transaction_hash"]

    # The approval system hears of it: a payment notice and the clearance turning yes, both signed.
    paid = receiver.wait_for(lambda n: n["event"] == "payment.recorded" and n["project_code"] == code)
    assert paid["reference"] == f"E2E-{code}" and paid["transaction_hash"] == indexed["transaction_hash"]
    clear = receiver.wait_for(lambda n: n["event"] == "clearance.changed" and n["project_code"] == code and n["clear"])
    assert clear["fee_status"] == "paid"
    assert receiver.refused == []
