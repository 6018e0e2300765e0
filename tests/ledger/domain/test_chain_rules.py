"""What the contracts v3 would refuse, refused by the services first (docs/chain-errors.md)."""

from datetime import date, datetime, timedelta, timezone

import orjson
import pytest
from pydantic import ValidationError
from sqlalchemy import insert, select, update

from ledger.db.models import BlockTime, CommitmentEvent
from ledger.db.write_model import Levy, OutboxCommand
from ledger.domain import commitments, fees, payments, projects
from ledger.domain.common import end_of_day
from ledger.domain.errors import InvalidState, ValidationFailed
from ledger.domain.schemas import CommitmentDecision, FeeAssessmentCreate
from ledger.identifiers import reference_key
from tests.support.samples import assessment, commitment, payment, project, project_code, sha


def assessed(session, n: int = 1) -> Levy:
    projects.register_project(session, project=project(n), client="approval")
    fees.assess_fee(session, assessment=assessment(n), actor="office")
    session.commit()
    return session.execute(select(Levy).where(Levy.project_code == project_code(n))).scalar_one()


def command_args(session, kind: str) -> list[dict]:
    return [orjson.loads(a) for a in session.execute(
        select(OutboxCommand.args).where(OutboxCommand.kind == kind).order_by(OutboxCommand.seq)).scalars()]


def test_an_assessment_carries_the_levy_s_issue_time_and_a_reassessment_keeps_time_and_due_date(session):
    levy = assessed(session)
    fees.assess_fee(session, assessment=assessment(1), actor="office")
    session.commit()
    first, second = command_args(session, "assess_fee")
    assert first["assessed_at"] == int(levy.created_at)
    assert second["assessed_at"] >= first["assessed_at"] and second["due_at"] == first["due_at"]
    other_date = FeeAssessmentCreate(project_code=project_code(1), due_date=date.today() + timedelta(days=90))
    with pytest.raises(ValidationFailed) as refused:
        fees.assess_fee(session, assessment=other_date, actor="office")
    assert (refused.value.field, refused.value.rule) == ("due_date", "kept_on_reassessment")


def test_the_assessment_s_time_is_capped_at_the_chain_s_time_when_the_chain_runs_behind(session, chain_clock):
    chain_clock.offset = -3600
    assessed(session)
    (args,) = command_args(session, "assess_fee")
    assert args["assessed_at"] == chain_clock.latest_allowed()


def test_a_reassessment_to_another_builder_is_refused_as_the_chain_keeps_the_first_payer(session):
    assessed(session)
    projects.register_project(session, project=project(1, builder=7), client="approval")  # another builder now
    with pytest.raises(InvalidState) as refused:
        fees.assess_fee(session, assessment=assessment(1), actor="office")
    assert (refused.value.field, refused.value.rule) == ("project_code", "same_payer")


def test_a_document_hash_of_zeros_is_refused_by_the_schema():
    with pytest.raises(ValidationError) as refused:
        CommitmentDecision(action="fulfil", document_sha256="0" * 64)
    assert refused.value.errors()[0]["type"] == "not_zero"


def test_a_payment_that_would_overflow_the_total_paid_is_refused(session):
    assessed(session)
    big = 2**63 - 1
    payments.confirm_payment(session, confirmation=payment(1, "V-1", big), client="tax")
    payments.confirm_payment(session, confirmation=payment(1, "V-2", big), client="tax")
    with pytest.raises(ValidationFailed) as refused:
        payments.confirm_payment(session, confirmation=payment(1, "V-3", 2), client="tax")
    assert (refused.value.field, refused.value.rule) == ("amount_fen", "paid_total_in_range")


def test_a_fourth_extension_is_refused(session):
    assessed(session)
    commitments.record_commitments(session, commitments=[commitment(1, "C-1")], client="approval")
    for k in range(1, 4):
        commitments.decide_commitment(session, commitment_number="C-1", actor="office", decision=CommitmentDecision(
            action="extend", document_sha256=sha(f"x{k}"), new_due_date=date.today() + timedelta(days=90 + k)))
    with pytest.raises(InvalidState) as refused:
        commitments.decide_commitment(session, commitment_number="C-1", actor="office", decision=CommitmentDecision(
            action="extend", document_sha256=sha("x4"), new_due_date=date.today() + timedelta(days=99)))
    assert (refused.value.field, refused.value.rule) == ("action", "max_extensions")


def indexed(session, number: str, event: str, status: str, block: int, timestamp: int) -> None:
    """A commitment event as the indexer mirrors it (with its block's time)."""
    key = "0x" + reference_key(number).hex()
    proof = {"chain_id": 31337, "block_number": block, "block_hash": "0x" + f"{block:064x}",
             "transaction_hash": "0x" + "22" * 32}
    session.execute(insert(CommitmentEvent).values(**proof, log_index=0, commitment=key, enterprise="0x" + "33" * 32,
                                                   event=event, status=status))
    session.execute(insert(BlockTime).values(chain_id=31337, block_number=block, block_hash=proof["block_hash"],
                                             timestamp=timestamp))
    session.execute(update(OutboxCommand).where(OutboxCommand.reference == number).values(status="indexed"))
    session.commit()


def test_a_fulfilment_dated_before_the_overdue_mark_is_refused_and_an_omitted_time_is_after_it(session, chain_clock):
    assessed(session)
    signed = datetime.now(timezone.utc) - timedelta(days=60)
    commitments.record_commitments(session, commitments=[
        commitment(1, "C-9").model_copy(update={"signed_at": signed, "due_date": date.today() - timedelta(days=20)})],
        client="approval")
    session.commit()
    marked = int(datetime.now(timezone.utc).timestamp()) - 3600
    indexed(session, "C-9", "marked_overdue", "overdue", 10, marked)
    early = CommitmentDecision(action="fulfil", document_sha256=sha("e"),
                               decided_at=datetime.fromtimestamp(marked - 60, timezone.utc))
    with pytest.raises(ValidationFailed) as refused:
        commitments.decide_commitment(session, commitment_number="C-9", decision=early, actor="office")
    assert (refused.value.field, refused.value.rule) == ("decided_at", "not_before_overdue_mark")
    session.rollback()
    chain_clock.offset = 600  # the chain runs ahead: "now" is the chain's now
    commitments.decide_commitment(session, commitment_number="C-9", actor="office",
                                  decision=CommitmentDecision(action="fulfil", document_sha256=sha("e")))
    assert command_args(session, "fulfil_commitment")[0]["fulfilled_at"] >= chain_clock.now() - 1


def test_a_decision_the_indexed_state_forbids_is_refused_when_nothing_of_ours_is_on_its_way(session):
    assessed(session)
    commitments.record_commitments(session, commitments=[commitment(1, "C-5")], client="approval")
    session.commit()
    repair = CommitmentDecision(action="repair", document_sha256=sha("r"))
    indexed(session, "C-5", "recorded", "recorded", 11, 1)
    from ledger.db.models import Commitment as CommitmentView

    session.execute(insert(CommitmentView).values(
        chain_id=31337, commitment="0x" + reference_key("C-5").hex(), project="0x" + "44" * 32,
        enterprise="0x" + "33" * 32, kind="shelter_build", status="recorded", fulfilled_late=False, extensions=0,
        signed_at=1, due_at=end_of_day(date.today() + timedelta(days=90)), evidence_submitted_at=0, decided_at=0,
        recorded_block=11, block_number=11, block_hash="0x" + "11" * 32, transaction_hash="0x" + "22" * 32,
        log_index=0))
    session.commit()
    with pytest.raises(InvalidState) as refused:
        commitments.decide_commitment(session, commitment_number="C-5", decision=repair, actor="office")
    assert (refused.value.field, refused.value.rule) == ("action", "allowed_transition")
