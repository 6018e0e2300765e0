"""Outbound webhooks: signed, versioned payloads, filtered by event kind and project, retried with
back-off, in order per project, disabled when dead (the office told), with history and redeliver."""

import datetime as dt
import logging

import http.server
import threading
import time

import orjson
import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from ledger.access.signing import canonical_request, private_key_from_seed, verify_signature
from ledger.db.supervision_model import EnterpriseNotice
from ledger.db.webhook_model import WebhookAttempt, WebhookDelivery
from ledger.domain import fees, payments, projects
from ledger.webhooks.schemas import WebhookEndpointCreate
from ledger.webhooks.schemas import CommandNotice
from ledger.webhooks.delivery import (
    add_endpoint,
    deliver_due,
    deliveries,
    disabled_endpoints,
    emit_enterprise_notices,
    emit_indexed_events,
    enable_endpoint,
    endpoints,
    redeliver,
    remove_endpoint,
)
from ledger.core.settings import Settings
from tests.support.samples import assessment, payment, project

SETTINGS = Settings(webhooks={"retry_base_seconds": 0.0, "retry_max_seconds": 0.0})


class FakeClock:
    """The delivery clock, moved by the test: the disable window is judged by it, not by waiting."""

    def __init__(self, start: float):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


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


def indexed_payments(
    engine,
    url: str,
    count: int,
    *,
    endpoints_: tuple[WebhookEndpointCreate, ...] | None = None,
    n: int = 1,
    registered_by: str = "approval",
) -> int:
    """Payments whose commands the writer and indexer have carried through (set directly here);
    returns how many notices they made."""
    with Session(engine) as s:
        for endpoint in endpoints_ or (WebhookEndpointCreate(subscriber="tax", url=url, events=["payment.recorded"]),):
            add_endpoint(s, endpoint=endpoint)
        projects.register_project(s, project=project(n), client=registered_by)
        fees.assess_fee(s, assessment=assessment(n), actor="office")
        for i in range(count):
            payments.confirm_payment(
                s, confirmation=payment(n, f"V-{n}-{i}" if n != 1 else f"V-{i}", 100), client="tax"
            )
        s.execute(text("UPDATE outbox_commands SET status = 'indexed', transaction_hash = '0xab', block_number = 7"))
        s.commit()
    made = emit_indexed_events(engine)
    assert emit_indexed_events(engine) == 0  # each indexed command is announced once
    return made


def test_a_failing_receiver_gets_each_notice_again_in_order_until_it_answers(engine, receiver):
    assert indexed_payments(engine, receiver, 3) == 3
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
        history = (
            s.execute(
                select(WebhookAttempt).where(WebhookAttempt.delivery_seq == first.seq).order_by(WebhookAttempt.id)
            )
            .scalars()
            .all()
        )
        assert [a.status_code for a in history] == [503, 503, 200]
        assert {d.status for d in deliveries(s)} == {"delivered"}


def test_a_notice_is_signed_with_the_platform_key_like_an_inbound_request(engine, receiver, crypto_profile):
    settings = SETTINGS.model_copy(update={"crypto_profile": crypto_profile.name})
    indexed_payments(engine, receiver, 1)
    deliver_due(engine, settings)
    ((path, headers, body),) = FlakyReceiver.received
    public = private_key_from_seed(settings.platform.signing_key.get_secret_value(), crypto_profile).public_key()
    assert crypto_profile.signatures.owns(public)  # Ed25519 (standard) or SM2 (gm)
    message = canonical_request("POST", path, headers["X-Timestamp"], headers["X-Nonce"], body, crypto_profile)
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


def test_a_notice_carries_its_payload_version_and_matches_its_documented_schema(engine, receiver):
    indexed_payments(engine, receiver, 1)
    deliver_due(engine, SETTINGS)
    ((_, headers, body),) = FlakyReceiver.received
    notice = CommandNotice.model_validate_json(body)
    assert (notice.version, notice.event, notice.reference) == (1, "payment.recorded", "V-0")
    assert headers["X-Webhook-Version"] == "1"


def test_an_endpoint_hears_only_the_event_kinds_and_projects_it_chose(engine, receiver):
    chosen = (
        WebhookEndpointCreate(subscriber="tax", url=receiver, events=["payment.recorded"]),
        WebhookEndpointCreate(subscriber="tax", url=receiver + "?breaches", events=["commitment.breached"]),
        WebhookEndpointCreate(
            subscriber="approval", url=receiver + "?own", events=["payment.recorded"], projects="own"
        ),
        WebhookEndpointCreate(
            subscriber="approval-2", url=receiver + "?others", events=["payment.recorded"], projects="own"
        ),
    )
    assert indexed_payments(engine, receiver, 2, endpoints_=chosen, registered_by="approval") == 4
    while deliver_due(engine, SETTINGS)["delivered"]:  # one notice per (endpoint, project) at a time
        pass
    heard = sorted(path for path, _, _ in FlakyReceiver.received)
    assert heard == ["/notices", "/notices", "/notices?own", "/notices?own"]


def test_a_dead_endpoint_is_disabled_after_the_window_the_office_is_told_and_nothing_is_lost(engine, receiver, caplog):
    settings = Settings(webhooks={"retry_base_seconds": 0.0, "retry_max_seconds": 0.0, "disable_after_seconds": 3600})
    indexed_payments(engine, receiver, 2)
    clock = FakeClock(int(time.time()) + 1)  # after the notices were made; whole seconds: the window's edge is exact
    FlakyReceiver.failures_left = 1_000
    deliver_due(engine, settings, clock=clock)  # the first failure starts the window
    clock.advance(3599)
    deliver_due(engine, settings, clock=clock)  # a second before the window ends: still active
    with Session(engine) as s:
        (endpoint,) = endpoints(s)
        assert endpoint.status == "active" and endpoint.failing_since is not None and disabled_endpoints(s) == {}
    clock.advance(1)
    with caplog.at_level(logging.ERROR, logger="ledger.webhooks.delivery"):
        deliver_due(engine, settings, clock=clock)
    with Session(engine) as s:
        (endpoint,) = endpoints(s)
        assert disabled_endpoints(s) == {"tax": 1}  # what GET /metrics reports
    assert endpoint.status == "disabled" and "HTTP 503" in endpoint.disabled_reason and endpoint.pending == 2
    assert "for 3600 s" in endpoint.disabled_reason
    assert any("disabled" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)
    attempts = _attempts(engine)
    clock.advance(60)
    deliver_due(engine, settings, clock=clock)
    assert _attempts(engine) == attempts  # a disabled endpoint is not called

    FlakyReceiver.failures_left = 0
    with Session(engine) as s:
        assert enable_endpoint(s, endpoint_id=endpoint.endpoint_id).status == "active"
        s.commit()
    while deliver_due(engine, settings, clock=clock)["delivered"]:
        pass
    assert [orjson.loads(body)["reference"] for _, _, body in FlakyReceiver.received] == ["V-0", "V-1"]


def test_a_removed_endpoint_gets_nothing_more_and_its_pending_notices_are_cancelled(engine, receiver):
    indexed_payments(engine, receiver, 1)
    with Session(engine) as s:
        (endpoint,) = endpoints(s)
        remove_endpoint(s, endpoint_id=endpoint.endpoint_id)
        s.commit()
        assert endpoints(s) == [] and [d.status for d in deliveries(s)] == ["cancelled"]
    deliver_due(engine, SETTINGS)
    assert FlakyReceiver.received == []


def _attempts(engine) -> int:
    with Session(engine) as s:
        return len(s.execute(select(WebhookAttempt)).scalars().all())


class HeldInFanOut:
    """Wraps delivery._fan_out: the first emission to reach it waits there, its claim uncommitted,
    until the test lets it go (after a second emission has run alongside)."""

    def __init__(self, fan_out):
        self.fan_out, self.inside, self.go = fan_out, threading.Event(), threading.Event()
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls == 1:
            self.inside.set()
            assert self.go.wait(30), "the test never let the first emission go"
        else:
            self.go.set()  # (the defect: a second emission fanning out what the first holds)
        return self.fan_out(*args, **kwargs)


def notices_of_two_emissions_at_once(engine, emit, monkeypatch) -> list[int]:
    from ledger.webhooks import delivery

    held = HeldInFanOut(delivery._fan_out)
    monkeypatch.setattr(delivery, "_fan_out", held)
    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(emit(engine)))
    first.start()
    assert held.inside.wait(30)
    results.append(emit(engine))  # while the first holds its claim
    held.go.set()
    first.join(30)
    return results


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_emissions_at_once_announce_each_indexed_command_once(engine, receiver, monkeypatch):
    with Session(engine) as s:
        add_endpoint(s, endpoint=WebhookEndpointCreate(subscriber="tax", url=receiver, events=["payment.recorded"]))
        projects.register_project(s, project=project(1), client="approval")
        fees.assess_fee(s, assessment=assessment(1), actor="office")
        for i in range(3):
            payments.confirm_payment(s, confirmation=payment(1, f"V-{i}", 100), client="tax")
        s.execute(text("UPDATE outbox_commands SET status = 'indexed', transaction_hash = '0xab', block_number = 7"))
        s.commit()
    assert sorted(notices_of_two_emissions_at_once(engine, emit_indexed_events, monkeypatch)) == [0, 3]
    with Session(engine) as s:
        assert s.execute(text("SELECT count(*) FROM webhook_deliveries")).scalar_one() == 3


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_emissions_at_once_announce_each_reminder_once(engine, receiver, monkeypatch):
    with Session(engine) as s:
        add_endpoint(
            s, endpoint=WebhookEndpointCreate(subscriber="approval", url=receiver, events=["commitment.due_soon"])
        )
        for i in range(2):
            s.add(
                EnterpriseNotice(
                    enterprise_uscc="91310000MA1FL8XQ30",
                    project_code="P-1",
                    commitment_number=f"C-{i}",
                    kind="due_in_7d",
                    due_date=dt.date(2027, 1, 1),
                    created_at=time.time(),
                )
            )
        s.commit()
    assert sorted(notices_of_two_emissions_at_once(engine, emit_enterprise_notices, monkeypatch)) == [0, 2]
    with Session(engine) as s:
        assert s.execute(text("SELECT count(*) FROM webhook_deliveries")).scalar_one() == 2


def test_an_emission_announces_each_reminder_once_on_either_database(engine, receiver):
    with Session(engine) as s:
        add_endpoint(
            s, endpoint=WebhookEndpointCreate(subscriber="approval", url=receiver, events=["commitment.due_soon"])
        )
        for i, kind in enumerate(["due_in_7d", "overdue"]):
            s.add(
                EnterpriseNotice(
                    enterprise_uscc="91310000MA1FL8XQ30",
                    project_code="P-1",
                    commitment_number=f"C-{i}",
                    kind=kind,
                    due_date=dt.date(2027, 1, 1),
                    created_at=time.time(),
                )
            )
        s.commit()
    assert emit_enterprise_notices(engine) == 1
    assert emit_enterprise_notices(engine) == 0
    with Session(engine) as s:
        assert s.execute(text("SELECT count(*) FROM enterprise_notices WHERE notified_at IS NULL")).scalar_one() == 0
