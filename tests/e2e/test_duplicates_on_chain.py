"""Duplicates end to end: the same confirmation sent twice in a row and ten times at once across two
API processes puts exactly one payment on chain; the same voucher under a new key is refused."""

import pytest

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from ledger.db.read_model import Payment
from ledger.core.identifiers import reference_key
from tests.api.conftest import USCC_A, project_body, project_code
from tests.e2e.test_payment_flow import assess_and_wait_until_indexed

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


def levy_for(stack) -> dict:
    code = project_code()
    stack.client("approval-bureau").post("/v1/approval/projects", project_body(code, USCC_A))
    assess_and_wait_until_indexed(stack, code)
    return next(levy for levy, _ in stack.client("tax-bureau").levies() if levy["project_code"] == code)


def payments_on_chain(stack, voucher: str) -> int:
    with stack.engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(Payment).where(Payment.voucher == "0x" + reference_key(voucher).hex())
        ).scalar_one()


def test_twice_in_a_row_and_ten_at_once_put_exactly_one_payment_on_chain(stack):
    levy = levy_for(stack)
    payment = {
        "levy_number": levy["levy_number"],
        "voucher_number": f"DUP-{uuid.uuid4().hex[:12]}",
        "amount_fen": levy["amount_fen"],
        "paid_at": stack.chain_time().isoformat(),
        "payer_uscc": USCC_A,
    }
    key = f"pay-{payment['voucher_number']}"
    clients = [stack.client("tax-bureau", server=i % 2) for i in range(10)]
    barrier = threading.Barrier(10)

    def send(client):
        barrier.wait()
        return client.request("POST", "/v1/tax/payments", json=payment, idempotency_key=key)

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(send, clients))
    first = next(r for r in responses if r.status_code == 202)
    assert all(r.status_code == 409 or r.content == first.content for r in responses)
    again = [clients[i].request("POST", "/v1/tax/payments", json=payment, idempotency_key=key) for i in (0, 1)]
    assert [r.status_code for r in again] == [202, 202] and all(r.content == first.content for r in again)
    other_key = clients[0].request("POST", "/v1/tax/payments", json=payment, idempotency_key=f"new-{key}")
    assert other_key.status_code == 409 and other_key.json()["field"] == "voucher_number"

    stack.client("tax-bureau").wait_for(first.json()["command_id"], "indexed", timeout=120)
    assert payments_on_chain(stack, payment["voucher_number"]) == 1
