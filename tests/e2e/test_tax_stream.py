"""Three simulated days of the tax system's payment confirmations and refunds, delivered shuffled and with
duplicates, through the API of the whole stack: each payment and each refund is on chain and in the read
model exactly once, each refund's fact time is after its payment's whatever order they arrived in, a
refund that arrives before its payment is accepted (money that moved is always recordable,
docs/contracts.md: an over-refund is recorded and flagged, never refused), and the totals are the stream's."""

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from devtools.bench.stack import Stack
from ledger.chain.rpc import JsonRpc
from ledger.core.identifiers import project_key, reference_key
from ledger.db.read_model import Payment, Refund
from tests.e2e.test_restarts import PAYMENTS, levy_for
from tests.support.depth import DEEP

DAY = 86_400
DAYS = 3
LEVIES = 6 if DEEP else 3
REFUNDS = "/v1/tax/refunds"


@pytest.fixture(scope="module")
def stack(node_kind, tmp_path_factory):
    with Stack(
        tmp_path_factory.mktemp("tax-stream"), node_kind=node_kind, extra_env={"LEDGER_INDEX_POLL_SECONDS": "0.2"}
    ) as running:
        yield running


@dataclass
class Delivery:
    path: str
    body: dict
    key: str
    after: str | None = None  # a refund: the voucher of the payment it returns


def three_days(levies: list[dict], start: int, rng: random.Random) -> list[Delivery]:
    """Per levy and day: a payment, and on days two and three an overpayment and, an hour later, its refund."""
    stream = []
    for levy in levies:
        share = levy["amount_fen"] // DAYS
        for day in range(DAYS):
            at = start + day * DAY + rng.randrange(0, 6 * 3600)
            amounts = [share] + ([rng.randrange(100, 5000)] if day else [])
            for amount in amounts:
                voucher = f"TS-{uuid.uuid4().hex[:12].upper()}"
                paid = {
                    "levy_number": levy["levy_number"],
                    "voucher_number": voucher,
                    "amount_fen": amount,
                    "paid_at": iso(at),
                    "payer_uscc": levy["payer_uscc"],
                }
                stream.append(Delivery(PAYMENTS, paid, f"pay-{voucher}"))
                if amount != share:  # the overpayment goes back to the payer
                    reference = f"RF-{voucher}"
                    refund = {
                        "refund_reference": reference,
                        "levy_number": levy["levy_number"],
                        "amount_fen": amount,
                        "refunded_at": iso(at + 3600),
                    }
                    stream.append(Delivery(REFUNDS, refund, f"refund-{reference}", after=voucher))
    return stream


def iso(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat()


def test_three_days_of_shuffled_and_duplicated_payments_and_refunds_land_each_once_with_the_stream_s_totals(stack):
    rng = random.Random(20261203)
    rpc = JsonRpc(stack.node.url)
    rpc.call("evm_increaseTime", [DAYS * DAY + 3600])  # the chain's clock three days on: every fact time has come
    rpc.call("evm_mine")  # (first: the API's chain clock has read the new time by the time the levies are out)
    levies = [levy_for(stack) for _ in range(LEVIES)]
    issued = max(int(datetime.fromisoformat(levy["created_at"]).timestamp()) for levy in levies)
    stream = three_days(levies, issued + 60, rng)
    deliveries = stream + rng.sample(stream, len(stream) // 2)  # half of it delivered twice
    rng.shuffle(deliveries)

    client = stack.client("tax-bureau")
    accepted: dict[str, str] = {}  # key -> command id
    first_answer: dict[str, bytes] = {}
    refunds_first = 0
    for delivery in deliveries:
        if delivery.after is not None and f"pay-{delivery.after}" not in accepted:
            refunds_first += 1 if delivery.key not in accepted else 0
        answer = client.request("POST", delivery.path, json=delivery.body, idempotency_key=delivery.key)
        assert answer.status_code == 202, answer.text  # a refund before its payment too
        if delivery.key in accepted:  # the same delivery again: the first answer, replayed
            assert answer.headers["Idempotent-Replayed"] == "true" and answer.content == first_answer[delivery.key]
        else:
            accepted[delivery.key], first_answer[delivery.key] = answer.json()["command_id"], answer.content
        if rng.random() < 0.25:  # and now and then under a new key (a gateway that lost its key): refused
            again = client.request("POST", delivery.path, json=delivery.body)
            field = "voucher_number" if delivery.path == PAYMENTS else "refund_reference"
            assert again.status_code == 409 and again.json()["field"] == field, again.text
    assert refunds_first > 0  # the shuffle put some refund before its payment (a fixed seed: it does)

    for command_id in accepted.values():
        assert client.wait_for(command_id, "indexed", timeout=120)["status"] == "indexed"
    payments = {d.body["voucher_number"]: d.body for d in stream if d.path == PAYMENTS}
    refunds = {d.body["refund_reference"]: d for d in stream if d.path == REFUNDS}
    with stack.engine.connect() as conn:
        paid = conn.execute(
            select(Payment.voucher, Payment.amount_fen, Payment.paid_at).where(
                Payment.voucher.in_(["0x" + reference_key(v).hex() for v in payments])
            )
        ).all()
        refunded = conn.execute(
            select(Refund.refund_ref, Refund.amount_fen, Refund.refunded_at).where(
                Refund.refund_ref.in_(["0x" + reference_key(r).hex() for r in refunds])
            )
        ).all()
        per_project = {
            levy["project_code"]: tuple(
                conn.execute(select(func.coalesce(func.sum(table.amount_fen), 0)).where(table.project == key)).scalar()
                for table in (Payment, Refund)
            )
            for levy in levies
            for key in ["0x" + project_key(levy["project_code"]).hex()]
        }
    assert len(paid) == len(payments) and len(refunded) == len(refunds)  # each once (the keys are unique)
    paid_at = {voucher: at for voucher, _, at in paid}
    for reference, amount, refunded_at in refunded:
        (refund,) = [d for r, d in refunds.items() if "0x" + reference_key(r).hex() == reference]
        assert amount == refund.body["amount_fen"]
        assert refunded_at > paid_at["0x" + reference_key(refund.after).hex()]  # after its payment, by fact time
    for levy in levies:
        number = levy["levy_number"]
        expected = (
            sum(p["amount_fen"] for p in payments.values() if p["levy_number"] == number),
            sum(d.body["amount_fen"] for d in refunds.values() if d.body["levy_number"] == number),
        )
        assert per_project[levy["project_code"]] == expected
