"""Outbound webhooks: signed, retried with back-off, in order per project, with history and redeliver."""

import http.server
import threading

import orjson
import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from ledger.access.signing import canonical_request, private_key_from_seed, verify_signature
from ledger.db.write_model import WebhookAttempt, WebhookDelivery
from ledger.domain import fees, payments, projects
from ledger.domain.schemas import WebhookEndpointCreate
from ledger.integration.webhooks import add_endpoint, deliver_due, deliveries, emit_indexed_events, redeliver
from ledger.settings import Settings
from tests.support.samples import assessment, payment, project

SETTINGS = Settings(webhook_retry_base_seconds=0.0, webhook_retry_max_seconds=0.0)


class FlakyReceiver(http.server.BaseHTTPRequestHandler):
    failures_left = 0
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if FlakyReceiver.failures_left > 0:
            FlakyReceiver.failures_left -= 1
            self.send_response(503)
        else:
            FlakyReceiver.received.append((self.path, dict(self.headers), body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    FlakyReceiver.failures_left, FlakyReceiver.received = 0, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FlakyReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/notices"
    server.shutdown()


def indexed_payments(engine, url: str, count: int) -> None:
    """Payments whose commands the writer and indexer have carried through (set directly here)."""
    with Session(engine) as s:
        add_endpoint(s, endpoint=WebhookEndpointCreate(subscriber="tax", url=url, events=["payment.recorded"]))
        projects.register_project(s, project=project(1), client="approval")
        fees.assess_fee(s, assessment=assessment(1), actor="office")
        for i in range(count):
            payments.confirm_payment(s, confirmation=payment(1, f"V-{i}", 100), client="tax")
        s.execute(text("UPDATE outbox_commands SET status = 'indexed', transaction_hash = '0xab', block_number = 7"))
        s.commit()
    assert emit_indexed_events(engine) == count
    assert emit_indexed_events(engine) == 0  # each indexed command is announced once


def test_a_failing_receiver_gets_each_notice_again_in_order_until_it_answers(engine, receiver):
    indexed_payments(engine, receiver, 3)
    FlakyReceiver.failures_left = 2
    rounds = 0
    while len(FlakyReceiver.received) < 3:
        deliver_due(engine, SETTINGS)
        rounds += 1
        assert rounds < 20
    vouchers = [orjson.loads(body)["reference"] for _, _, body in FlakyReceiver.received]
    assert vouchers == ["V-0", "V-1", "V-2"]  # one project: strictly in order, despite the failures
    with Session(engine) as s:
        first = s.execute(select(WebhookDelivery).order_by(WebhookDelivery.seq)).scalars().first()
        history = s.execute(select(WebhookAttempt).where(WebhookAttempt.delivery_seq == first.seq)
                            .order_by(WebhookAttempt.id)).scalars().all()
        assert [a.status_code for a in history] == [503, 503, 200]
        assert {d.status for d in deliveries(s)} == {"delivered"}


def test_a_notice_is_signed_with_the_platform_key_like_an_inbound_request(engine, receiver):
    indexed_payments(engine, receiver, 1)
    deliver_due(engine, SETTINGS)
    (path, headers, body), = FlakyReceiver.received
    public = private_key_from_seed(SETTINGS.platform_signing_key.get_secret_value()).public_key()
    message = canonical_request("POST", path, headers["X-Timestamp"], headers["X-Nonce"], body)
    assert verify_signature(public, headers["X-Signature"], message)
    assert not verify_signature(public, headers["X-Signature"], message.replace(b"POST", b"PUT"))
    assert headers["X-Webhook-Event"] == "payment.recorded" and headers["X-Webhook-Delivery"]


def test_a_delivered_notice_can_be_redelivered_and_keeps_its_history(engine, receiver):
    indexed_payments(engine, receiver, 1)
    deliver_due(engine, SETTINGS)
    with Session(engine) as s:
        delivery = deliveries(s)[0]
        again = redeliver(s, delivery_id=delivery.delivery_id)
        s.commit()
        assert again.status == "pending"
    deliver_due(engine, SETTINGS)
    assert len(FlakyReceiver.received) == 2
    assert FlakyReceiver.received[0][2] == FlakyReceiver.received[1][2]  # the same notice, byte for byte
    with Session(engine) as s:
        assert deliveries(s)[0].attempts == 2 and deliveries(s)[0].status == "delivered"
