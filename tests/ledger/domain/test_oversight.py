"""The regulator's collection figures from read-model rows as the indexer writes them: payments
less refunds, by district (from the project code) and by month in Asia/Shanghai."""

from datetime import datetime

from ledger.db.read_model import Payment, Refund
from ledger.domain import oversight, projects
from ledger.domain.common import SHANGHAI, project_key_hex, read_model_chain_id
from tests.support.samples import project, project_code


def at(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).timestamp())


def test_collection_is_payments_less_refunds_by_district_and_by_shanghai_month(session):
    for n in (1, 2):  # 2026-410103-… and 2026-410105-…
        projects.register_project(session, project=project(n), client="approval")
    chain = read_model_chain_id(session)  # the sample rate table's mirror made it
    rows = [
        (1, 500_00, "2026-10-31T23:59:59"),
        (1, 250_00, "2026-11-01T00:00:00"),
        (2, 1_000_00, "2026-11-15T12:00:00"),
    ]
    for i, (n, amount, when) in enumerate(rows):
        session.add(
            Payment(
                chain_id=chain,
                block_number=1000 + i,
                log_index=0,
                block_hash="0x1",
                transaction_hash="0x1",
                project=project_key_hex(project_code(n)),
                voucher=f"0x{i:064x}",
                amount_fen=amount,
                paid_at=at(when),
                late=False,
            )
        )
    session.add(
        Refund(
            chain_id=chain,
            block_number=1008,
            log_index=0,
            block_hash="0x8",
            transaction_hash="0x8",
            project=project_key_hex(project_code(2)),
            refund_ref="0x" + "f" * 64,
            amount_fen=100_00,
            refunded_at=at("2026-12-01T08:00:00"),
        )
    )
    session.flush()

    collected = oversight.collection(session)

    assert [(r.key, r.label, r.amount_fen) for r in collected.by_district] == [
        ("410103", "二七区", 750_00),
        ("410105", "金水区", 900_00),
    ]
    assert [(r.key, r.amount_fen) for r in collected.by_month] == [
        ("2026-10", 500_00),
        ("2026-11", 1_250_00),
        ("2026-12", -100_00),
    ]


def test_collection_of_an_empty_read_model_is_empty(session):
    assert oversight.collection(session).model_dump() == {"by_district": [], "by_month": []}
