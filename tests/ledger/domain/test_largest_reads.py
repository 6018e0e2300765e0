"""The views over the read model answer the largest uint64 exactly (issue 14 item 3): a payment,
a refund, an account, a commitment's due time and a rate of 2^64−1, on SQLite (where such a value
is stored as a BLOB) and PostgreSQL (NUMERIC) — no TypeError, no Decimal, no rounding."""

from datetime import date, datetime, timezone

import pytest

from ledger.db.read_model import (
    BlockTime,
    Commitment,
    CommitmentEvent,
    FeeAccount,
    FeeAssessment,
    Payment,
    Rate,
    RateTable,
    Refund,
)
from ledger.domain import oversight, projects, public, rates
from ledger.domain.common import LAST_SECOND, enterprise_key_hex, project_key_hex, read_model_chain_id
from ledger.chain.rate_tables import SAMPLE_RATE_TABLE
from tests.support.samples import make_uscc, project, project_code

U64_MAX = 2**64 - 1
T0 = 1_800_000_000  # 2027-01-15, a block time
NEVER = datetime.fromtimestamp(LAST_SECOND, timezone.utc)  # how a time beyond year 9999 shows


def proof(block: int) -> dict:
    return dict(
        block_number=block, log_index=0, block_hash=f"0x{block:064x}", transaction_hash=f"0x{block + 1000:064x}"
    )


@pytest.fixture
def largest(session):
    """Project 1 assessed, owing and paid 2^64−1 fen (due at 2^64−1 s); project 2 refunded 2^64−1 fen;
    an overdue commitment due at 2^64−1 s; a rate table whose district-1 rate is 2^64−1 fen/m², and
    a later one that takes effect at 2^64−1 s (never)."""
    for n in (1, 2):
        projects.register_project(session, project=project(n), client="approval")
    chain = read_model_chain_id(session)
    first, second = project_key_hex(project_code(1)), project_key_hex(project_code(2))
    payer = enterprise_key_hex(make_uscc(1))
    district = int(project(1).district)
    session.add_all(
        [BlockTime(chain_id=chain, block_number=b, block_hash=f"0x{b:064x}", timestamp=T0 + b) for b in range(10, 17)]
    )
    session.add_all(
        [
            RateTable(
                chain_id=chain,
                **proof(10),
                version=99,
                effective_from=SAMPLE_RATE_TABLE.effective_from + 1,
                district_count=1,
                basis_hash="0x" + "ab" * 32,
            ),
            Rate(
                chain_id=chain, **proof(10) | {"log_index": 1}, version=99, district=district, rate_fen_per_m2=U64_MAX
            ),
            RateTable(
                chain_id=chain,
                **proof(11),
                version=100,
                effective_from=U64_MAX,
                district_count=1,
                basis_hash="0x" + "cd" * 32,
            ),
            Rate(chain_id=chain, **proof(11) | {"log_index": 1}, version=100, district=district, rate_fen_per_m2=1),
            FeeAssessment(
                chain_id=chain,
                **proof(12),
                project=first,
                payer=payer,
                revision=1,
                district=district,
                rate_table_version=99,
                rate_fen_per_m2=U64_MAX,
                shortfall_area=100,
                base_fen=U64_MAX,
                due_fen=U64_MAX,
                assessed_at=T0,
                due_at=U64_MAX,
                basis_hash="0x" + "ab" * 32,
            ),
            Payment(
                chain_id=chain,
                **proof(13),
                project=first,
                voucher=f"0x{1:064x}",
                amount_fen=U64_MAX,
                paid_at=T0,
                late=False,
            ),
            Refund(
                chain_id=chain,
                **proof(14),
                project=second,
                refund_ref=f"0x{2:064x}",
                amount_fen=U64_MAX,
                refunded_at=T0 + 40 * 86_400,
            ),
            FeeAccount(
                chain_id=chain,
                project=first,
                payer=payer,
                district=district,
                rate_table_version=99,
                revision=1,
                relief_bps=0,
                base_fen=U64_MAX,
                adjustment_fen=0,
                due_fen=U64_MAX,
                due_at=U64_MAX,
                paid_fen=U64_MAX,
                refunded_fen=0,
                refund_owed_fen=U64_MAX,
                assessed_at=T0,
                over_refunded_fen=U64_MAX,
                status="paid",
                **proof(13),
            ),
            Commitment(
                chain_id=chain,
                commitment=f"0x{0xC1:064x}",
                project=first,
                enterprise=payer,
                kind="shelter_build",
                status="overdue",
                fulfilled_late=False,
                extensions=0,
                signed_at=T0,
                due_at=U64_MAX,
                evidence_submitted_at=0,
                decided_at=0,
                recorded_block=15,
                recorded_at=T0,
                overdue_at=U64_MAX,
                **proof(16),
            ),
            CommitmentEvent(
                chain_id=chain,
                **proof(16),
                commitment=f"0x{0xC1:064x}",
                enterprise=payer,
                event="marked_overdue",
                status="overdue",
                due_at=U64_MAX,
            ),
        ]
    )
    session.flush()
    return first, district


def test_the_collection_adds_up_the_largest_payment_and_refund_exactly(session, largest):
    collected = oversight.collection(session)
    assert sorted(r.amount_fen for r in collected.by_district) == [-U64_MAX, U64_MAX]
    assert [(r.key, r.amount_fen) for r in collected.by_month] == [("2027-01", U64_MAX), ("2027-02", -U64_MAX)]


def test_the_money_trail_and_fee_statuses_show_the_largest_amounts_exactly(session, largest):
    key, _ = largest
    trail = oversight.money_trail(session, project_code=project_code(1))
    assert [(e.kind, e.amount_fen, e.due_fen_after, e.at) for e in trail.entries] == [
        ("assessed", U64_MAX, U64_MAX, NEVER),
        ("payment", U64_MAX, None, datetime.fromtimestamp(T0, timezone.utc)),
    ]
    assert (trail.account.due_fen, trail.account.paid_fen, trail.account.refund_owed_fen) == (U64_MAX,) * 3
    account = oversight.fee_statuses(session, project_keys=[key])[key]
    assert (account.due_fen, account.paid_fen, account.refund_owed_fen) == (U64_MAX,) * 3


def test_an_overdue_commitment_due_beyond_year_9999_is_listed(session, largest):
    alerts = oversight.commitments_in_trouble(session, status="overdue").items
    assert [(a.status, a.due_at) for a in alerts] == [("overdue", NEVER)]


def test_the_rate_lookups_answer_the_largest_rate_and_never_a_table_effective_at_the_largest_time(session, largest):
    _, district = largest
    found = rates.rate_at(session, str(district), T0)
    assert (found.version, found.rate_fen_per_m2, found.effective_from) == (
        99,
        U64_MAX,
        SAMPLE_RATE_TABLE.effective_from + 1,
    )
    assert rates.rate_for(session, str(district), date(2027, 1, 15)) == found


def test_the_public_inquiry_shows_the_largest_fee_exactly(session, largest):
    fee = public.public_project(session, project_code=project_code(1)).fee
    assert (fee.base_fen, fee.due_fen, fee.paid_fen, fee.rate_fen_per_m2, fee.due_at) == (
        U64_MAX,
        U64_MAX,
        U64_MAX,
        U64_MAX,
        NEVER,
    )
    receipt = public.public_payments(session, project_code=project_code(1)).items
    assert [p.amount_fen for p in receipt] == [U64_MAX]
