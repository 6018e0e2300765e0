"""PostgreSQL crashed (`pg_ctl -m immediate`: connections die mid-transaction) and started again in the
middle of a burst of signed payments, under the whole stack (API, Celery worker, writer, indexer), on
Hardhat and on anvil. The stack runs on a PostgreSQL server of this module's own, so the crash touches no
other test. (This test found the writer's nonce gap: tests/ledger/writer/test_nonce_gaps.py.)"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from devtools.bench.stack import Stack
from devtools.postgres_server import PostgresServer
from ledger.db.write_model import OutboxCommand
from tests.e2e.test_restarts import PAYMENTS, levy_for, payment_for, vouchers_on_chain, wait_until
from tests.support.depth import DEEP
from web.kit.problems import MEDIA_TYPE

pytestmark = pytest.mark.every_node

BURST = 120 if DEEP else 40


@pytest.fixture(scope="module")
def postgres():
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="module")
def stack(postgres, node_kind, tmp_path_factory):
    with Stack(
        tmp_path_factory.mktemp("postgres-crash"),
        postgres_server=postgres.url,
        node_kind=node_kind,
        extra_env={
            "LEDGER_API_IDEMPOTENCY_LOCK_SECONDS": "3",  # a claim the lost database could not release expires soon
            "LEDGER_INDEX_POLL_SECONDS": "0.2",
            "LEDGER_WRITER_RETRY_MAX_SECONDS": "1",
        },
    ) as running:
        yield running


def send_until_accepted(client, payment: dict, key: str, timeout: float = 60):
    """A client's retry: the same request under the same key, after Retry-After, until it is answered."""
    deadline = time.monotonic() + timeout
    while True:
        answer = client.request("POST", PAYMENTS, json=payment, idempotency_key=key)
        if answer.status_code not in (503, 409) or time.monotonic() > deadline:
            return answer
        time.sleep(float(answer.headers.get("Retry-After", "1")))


def test_postgresql_crashed_mid_burst_answers_503_with_retry_after_never_500_and_every_payment_lands_once(
    stack, postgres
):
    levy = levy_for(stack)
    payments = [payment_for(stack, levy) for _ in range(BURST)]
    key_of = {p["voucher_number"]: f"pay-{p['voucher_number']}" for p in payments}
    answers: dict[str, object] = {}
    lock = threading.Lock()

    def send(payment):
        client = stack.client("tax-bureau")
        answer = client.request("POST", PAYMENTS, json=payment, idempotency_key=key_of[payment["voucher_number"]])
        with lock:
            answers[payment["voucher_number"]] = answer
        time.sleep(0.05)  # a burst spread over the outage, not all of it before the stop

    def count(accepted: bool) -> int:
        with lock:
            return sum(1 for a in answers.values() if (a.status_code == 202) == accepted)

    with ThreadPoolExecutor(4) as pool:
        sent = pool.map(send, payments)
        wait_until(lambda: count(accepted=True) >= 5, 30, "the first acknowledged payments")
        postgres.stop("immediate")  # a crash, while the writer is signing and sending the first ones
        try:
            wait_until(lambda: count(accepted=False) >= 3, 30, "requests answered while the database is away")
        finally:
            postgres.start()
        list(sent)

    statuses = {v: a.status_code for v, a in answers.items()}
    assert set(statuses.values()) <= {202, 503}, statuses
    refused = [v for v, status in statuses.items() if status == 503]
    for voucher in refused:
        problem = answers[voucher]
        assert problem.headers["content-type"] == MEDIA_TYPE and int(problem.headers["Retry-After"]) >= 1
        assert problem.json()["type"] == "/problems/database-unavailable"
        assert "Traceback" not in problem.text and "postgres" not in problem.text.lower()

    client = stack.client("tax-bureau")
    by_voucher = {p["voucher_number"]: p for p in payments}
    for voucher in refused:  # the client sends each refused payment again, under the same key
        retried = send_until_accepted(client, by_voucher[voucher], key_of[voucher])
        assert retried.status_code == 202, retried.text
        again = client.request("POST", PAYMENTS, json=by_voucher[voucher], idempotency_key=key_of[voucher])
        assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
        assert again.content == retried.content  # accepted once: the same command, replayed
        answers[voucher] = retried

    for answer in answers.values():
        assert client.wait_for(answer.json()["command_id"], "indexed", timeout=60)["status"] == "indexed"
    assert vouchers_on_chain(stack, list(by_voucher)) == {v: 1 for v in by_voucher}
    with stack.engine.connect() as conn:  # nothing left in limbo: every command of the stack has ended
        left = dict(conn.execute(select(OutboxCommand.status, func.count()).group_by(OutboxCommand.status)).all())
    assert set(left) == {"indexed"}, left
