"""A refused command can be corrected: a business key is "already recorded" only while it is on chain
or in flight; after `failed` a new command with the same key is accepted once. Fact times are judged
by the chain's clock and the assessment's fact time, as the contracts judge them."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select, update

from ledger.db.read_model import Payment
from ledger.db.write_model import CommitmentRecord, Levy, OutboxCommand, PaymentConfirmation as ConfirmationRow
from ledger.domain import commitments, fees, payments, projects
from ledger.domain.errors import Conflict, InvalidState, ValidationFailed
from ledger.domain.schemas.office import CommitmentDecision
from ledger.domain.schemas.tax import RefundCreate
from ledger.core.identifiers import reference_key
from tests.support.samples import assessment, commitment, payment, project, project_code, sha


def assessed(session, n: int = 1) -> Levy:
    projects.register_project(session, project=project(n), client="approval")
    fees.assess_fee(session, assessment=assessment(n), actor="office")
    session.commit()
    return session.execute(select(Levy).where(Levy.project_code == project_code(n))).scalar_one()


def fail(session, command_id: str, error: str = "FeeLedgerInvalidTime") -> None:
    """What the writer does when the chain refuses the command."""
    session.execute(
        update(OutboxCommand)
        .where(OutboxCommand.id == command_id)
        .values(status="failed", error_name=error, error_args="[]")
    )
    session.commit()


def status_of(session, command_id: str) -> str:
    return session.execute(select(OutboxCommand.status).where(OutboxCommand.id == command_id)).scalar_one()


def test_a_voucher_refused_by_the_chain_is_accepted_once_again_corrected_and_counts_once(session):
    levy = assessed(session)
    first = payments.confirm_payment(session, confirmation=payment(1, "V-1", levy.amount_fen), client="tax")
    session.commit()
    with pytest.raises(Conflict):  # in flight: already recorded
        payments.confirm_payment(session, confirmation=payment(1, "V-1", levy.amount_fen), client="tax")
    session.rollback()
    fail(session, first.command_id)
    assert payments.levies_feed(session).items[0].confirmed_fen == 0  # the levy agrees: nothing paid

    corrected_time = datetime.now(timezone.utc).replace(microsecond=0)
    second = payments.confirm_payment(
        session, confirmation=payment(1, "V-1", levy.amount_fen, paid_at=corrected_time), client="tax"
    )
    session.commit()
    assert second.command_id != first.command_id
    row = session.get(ConfirmationRow, "V-1")
    assert (row.command_id, row.paid_at) == (second.command_id, int(corrected_time.timestamp()))
    assert (status_of(session, first.command_id), status_of(session, second.command_id)) == ("failed", "accepted")
    assert payments.levies_feed(session).items[0].confirmed_fen == levy.amount_fen
    with pytest.raises(Conflict) as refused:  # the correction is in flight: recorded again
        payments.confirm_payment(session, confirmation=payment(1, "V-1", levy.amount_fen), client="tax")
    assert (refused.value.field, refused.value.rule) == ("voucher_number", "unique_forever")


def test_a_correction_inside_a_batch_is_accepted_and_a_second_one_in_the_same_batch_is_refused(session):
    levy = assessed(session)
    first = payments.confirm_payment(session, confirmation=payment(1, "V-B", 100), client="tax")
    session.commit()
    fail(session, first.command_id)
    from ledger.domain.schemas.tax import PaymentBatch

    result = payments.confirm_payments(
        session,
        batch=PaymentBatch(
            items=[payment(1, "V-B", 200), payment(1, "V-B", 300), payment(1, "V-C", levy.amount_fen - 200)]
        ),
        client="tax",
    )
    session.commit()
    assert [item.accepted for item in result.items] == [True, False, True]
    assert session.get(ConfirmationRow, "V-B").amount_fen == 200
    assert session.execute(select(func.count()).where(OutboxCommand.kind == "record_payment")).scalar_one() == 3


def test_a_voucher_the_chain_holds_stays_recorded_after_a_conflict_failure_or_once_indexed(session):
    assessed(session)
    first = payments.confirm_payment(session, confirmation=payment(1, "V-2", 100), client="tax")
    session.commit()
    fail(session, first.command_id, "FeeLedgerVoucherConflict")  # the chain holds it with other figures
    with pytest.raises(Conflict):
        payments.confirm_payment(session, confirmation=payment(1, "V-2", 100), client="tax")
    session.rollback()
    session.execute(
        insert(Payment).values(
            chain_id=31337,
            block_number=5,
            log_index=0,
            block_hash="0x" + "11" * 32,
            transaction_hash="0x" + "22" * 32,
            project="0x" + "33" * 32,
            voucher="0x" + reference_key("V-3").hex(),
            amount_fen=1,
            paid_at=1,
        )
    )
    session.commit()
    with pytest.raises(Conflict):  # on chain (e.g. imported from an earlier contract version)
        payments.confirm_payment(session, confirmation=payment(1, "V-3", 100), client="tax")


def test_a_refund_refused_by_the_chain_can_be_corrected_and_one_beyond_the_paid_is_accepted_for_flagging(session):
    levy = assessed(session)
    payments.confirm_payment(session, confirmation=payment(1, "V-4", 100), client="tax")
    session.commit()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    refund = RefundCreate(refund_reference="RF-1", levy_number=levy.levy_number, amount_fen=500, refunded_at=now)
    first = payments.record_refund(session, refund=refund, client="tax")  # v3 records it and flags the excess
    session.commit()
    with pytest.raises(Conflict) as taken:
        payments.record_refund(session, refund=refund, client="tax")
    assert (taken.value.field, taken.value.rule) == ("refund_reference", "unique_forever")
    session.rollback()
    fail(session, first.command_id)
    again = payments.record_refund(session, refund=refund.model_copy(update={"amount_fen": 90}), client="tax")
    session.commit()
    assert again.command_id != first.command_id
    assert (status_of(session, first.command_id), status_of(session, again.command_id)) == ("failed", "accepted")


def test_a_refund_time_is_bounded_as_a_payment_time(session, chain_clock):
    levy = assessed(session)
    chain_clock.offset = -600
    too_late = datetime.fromtimestamp(chain_clock.now() + 901, timezone.utc)
    refund = RefundCreate(refund_reference="RF-2", levy_number=levy.levy_number, amount_fen=5, refunded_at=too_late)
    with pytest.raises(ValidationFailed) as refused:
        payments.record_refund(session, refund=refund, client="tax")
    assert (refused.value.field, refused.value.rule) == ("refunded_at", "not_after_chain_time")


def test_a_commitment_refused_by_the_chain_takes_no_decision_until_it_is_recorded_again(session):
    assessed(session)
    first = commitments.record_commitments(session, commitments=[commitment(1, "C-1")], client="approval")[0]
    session.commit()
    fail(session, first.command_id, "CommitmentRegistryInvalidTime")
    decision = CommitmentDecision(action="fulfil", document_sha256=sha("evidence"))
    with pytest.raises(InvalidState) as refused:
        commitments.decide_commitment(session, commitment_number="C-1", decision=decision, actor="office")
    assert (refused.value.field, refused.value.rule) == ("commitment_number", "recorded_commitment")
    session.rollback()
    again = commitments.record_commitments(session, commitments=[commitment(1, "C-1", days=120)], client="approval")[0]
    session.commit()
    assert session.get(CommitmentRecord, "C-1").command_id == again.command_id
    commitments.decide_commitment(session, commitment_number="C-1", decision=decision, actor="office")
    with pytest.raises(Conflict) as taken:
        commitments.record_commitments(
            session, commitments=[commitment(1, "C-2"), commitment(1, "C-1")], client="approval"
        )
    assert taken.value.field == "items[1].commitment_number"


def test_a_payment_time_before_the_assessment_s_time_is_refused_naming_the_rule(session):
    levy = assessed(session)
    before = datetime.fromtimestamp(int(levy.created_at) - 1, timezone.utc)
    with pytest.raises(ValidationFailed) as refused:
        payments.confirm_payment(session, confirmation=payment(1, "V-6", 100, paid_at=before), client="tax")
    assert (refused.value.field, refused.value.rule) == ("paid_at", "not_before_assessment")


@pytest.mark.parametrize("chain_offset", [600, -600])
def test_the_latest_payment_time_follows_the_chain_s_clock_not_the_wall_clock(session, chain_clock, chain_offset):
    assessed(session)
    chain_clock.offset = chain_offset
    at_the_bound = datetime.fromtimestamp(chain_clock.now() + 900 - 1, timezone.utc)
    payments.confirm_payment(session, confirmation=payment(1, "V-7", 100, paid_at=at_the_bound), client="tax")
    beyond = at_the_bound + timedelta(seconds=5)
    with pytest.raises(ValidationFailed) as refused:
        payments.confirm_payment(session, confirmation=payment(1, "V-8", 100, paid_at=beyond), client="tax")
    assert (refused.value.field, refused.value.rule) == ("paid_at", "not_after_chain_time")
