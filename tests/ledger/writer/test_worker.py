"""The write path with real processes: a Celery worker (beat: drain, indexer, webhooks) on Redis,
the development node (Hardhat and anvil) and PostgreSQL. Faults are real: the node is stopped
(SIGSTOP) and the worker is SIGKILLed with its pool."""

import http.server
import os
import signal
import threading

import pytest
from sqlalchemy import text
from sqlmodel import Session

from ledger.access.signing import canonical_request, private_key_from_seed, verify_signature
from ledger.db.engine import make_engine
from ledger.domain import clearance, fees, payments, projects
from ledger.domain.schemas.tax import PaymentBatch
from ledger.webhooks.schemas import WebhookEndpointCreate
from ledger.webhooks.delivery import add_endpoint, deliveries
from ledger.core.settings import Settings
from tests.support.celery_worker import celery_worker, wait_until, worker_env  # noqa: F401
from tests.support.ledger_env import WritePath, chain_time, paid_on_chain
from tests.support.samples import assessment, payment, project, project_code

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


@pytest.fixture
def postgres_url(make_database):
    return make_database("postgresql")


def statuses(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT status, count(*) FROM outbox_commands GROUP BY status")).all())


def all_indexed(engine) -> bool:
    counts = statuses(engine)
    return bool(counts) and set(counts) == {"indexed"}


def chain_payments(engine) -> tuple[int, int]:
    """(count, sum) of payments in the read model: what the chain recorded."""
    with engine.connect() as conn:
        return tuple(conn.execute(text("SELECT count(*), coalesce(sum(amount_fen), 0) FROM payments")).one())


def register_and_assess(chain, url: str, engine, projects_count: int) -> None:
    indexer = WritePath(chain=chain, url=url, engine=engine).indexer()  # the rate tables deploy published
    indexer.catch_up()
    indexer.release()
    with Session(engine) as s:
        for n in range(1, projects_count + 1):
            projects.register_project(s, project=project(n), client="approval")
            fees.assess_fee(s, assessment=assessment(n), actor="office")
        s.commit()


def confirm_burst(engine, at, start: int, count: int, projects_count: int, amount: int = 100) -> None:
    with Session(engine) as s:
        for first in range(start, start + count, 500):
            items = [
                payment(1 + i % projects_count, f"V-{i}", amount, paid_at=at)
                for i in range(first, min(first + 500, start + count))
            ]
            result = payments.confirm_payments(s, batch=PaymentBatch(items=items), client="tax")
            assert result.rejected == 0
        s.commit()


class Receiver(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((self.path, dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/ledger?system=approval", Receiver.received
    server.shutdown()


def test_a_confirmed_payment_goes_to_chain_and_indexed_and_the_approval_system_gets_a_signed_notice(
    chain, postgres_url, celery_worker, receiver
):
    url, received = receiver
    engine = make_engine(postgres_url)
    with Session(engine) as s:
        add_endpoint(
            s,
            endpoint=WebhookEndpointCreate(
                subscriber="approval", url=url, events=["payment.recorded", "clearance.changed"]
            ),
        )
        s.commit()
    register_and_assess(chain, postgres_url, engine, 1)
    worker = celery_worker(postgres_url)
    wait_until(lambda: all_indexed(engine), timeout=90, worker=worker, what="the assessment to be indexed")
    with Session(engine) as s:
        levy = payments.levies_feed(s).items[0]
        assert not clearance.clearance(s, project_code=project_code(1)).clear
        accepted = payments.confirm_payment(
            s, confirmation=payment(1, "V-1", levy.amount_fen, paid_at=chain_time(chain)), client="tax"
        )
        s.commit()
    wait_until(lambda: all_indexed(engine), timeout=60, worker=worker, what="the payment to be indexed")
    with Session(engine) as s:
        answer = clearance.clearance(s, project_code=project_code(1))
        assert answer.clear and answer.fee_status == "paid" and answer.proof.transaction_hash
    wait_until(
        lambda: any(h.get("X-Webhook-Event") == "payment.recorded" for _, h, _ in received),
        timeout=30,
        worker=worker,
        what="the webhook",
    )
    public_key = private_key_from_seed(Settings().platform.signing_key.get_secret_value()).public_key()
    for path, headers, body in received:
        message = canonical_request("POST", path, headers["X-Timestamp"], headers["X-Nonce"], body)
        assert verify_signature(public_key, headers["X-Signature"], message)
        assert headers["X-Client-Id"] == "platform"
    events = [h["X-Webhook-Event"] for _, h, _ in received]
    assert "payment.recorded" in events
    wait_until(
        lambda: any(h["X-Webhook-Event"] == "clearance.changed" and b'"clear":true' in b for _, h, b in received),
        timeout=30,
        worker=worker,
        what="the clearance notice",
    )

    def all_delivered():
        with Session(engine) as s:
            return {d.status for d in deliveries(s)} == {"delivered"}

    wait_until(all_delivered, timeout=30, worker=worker, what="every delivery recorded as delivered")
    assert accepted.command_id


def test_two_hundred_confirmations_land_exactly_once_though_the_node_stops_during_the_burst(
    chain, postgres_url, celery_worker
):
    engine = make_engine(postgres_url)
    register_and_assess(chain, postgres_url, engine, 4)
    worker = celery_worker(postgres_url)
    wait_until(lambda: all_indexed(engine), timeout=90, worker=worker, what="the assessments")
    node_group = chain.node._process.pid
    at = chain_time(chain)  # read while the node answers
    confirm_burst(engine, at, 0, 100, 4)
    os.killpg(node_group, signal.SIGSTOP)
    try:
        confirm_burst(engine, at, 100, 100, 4)
        wait_until(
            lambda: (
                "outbox writer" in worker.log or "ChainUnavailable" in worker.log or "no JSON-RPC answer" in worker.log
            ),
            timeout=30,
            worker=worker,
            what="the writer to notice",
        )
    finally:
        os.killpg(node_group, signal.SIGCONT)
    wait_until(lambda: all_indexed(engine), timeout=120, worker=worker, what="all 200 indexed")
    assert chain_payments(engine) == (200, 200 * 100)
    for n in range(1, 5):
        assert paid_on_chain(chain, project_code(n)) == 50 * 100


def test_a_worker_killed_in_the_middle_of_a_batch_lands_each_command_exactly_once(chain, postgres_url, celery_worker):
    engine = make_engine(postgres_url)
    register_and_assess(chain, postgres_url, engine, 4)
    worker = celery_worker(postgres_url)
    wait_until(lambda: all_indexed(engine), timeout=90, worker=worker, what="the assessments")
    sent, in_flight, at = 0, 0, chain_time(chain)
    for attempt in range(10):  # until the kill lands while a batch is signed but not settled
        confirm_burst(engine, at, sent, 500, 4, amount=1)
        sent += 500
        caught = wait_until(
            lambda: statuses(engine).get("submitted") or all_indexed(engine),
            timeout=60,
            worker=worker,
            what="a batch in flight",
        )
        if caught is not True:
            worker.kill()
            in_flight = statuses(engine).get("submitted", 0)
            if in_flight:
                break
            worker = celery_worker(
                postgres_url
            )  # the batch settled before the kill landed (anvil mines at once): again
    assert in_flight > 0, "no kill landed while a batch was signed but not settled"
    worker = celery_worker(postgres_url)
    wait_until(lambda: all_indexed(engine), timeout=120, worker=worker, what="everything indexed after the restart")
    assert chain_payments(engine) == (sent, sent)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outbox_commands WHERE status = 'failed'")).scalar() == 0
