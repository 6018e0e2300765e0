"""What the contracts v3 would refuse, refused by the services first (docs/integrators/chain-errors.md)."""

from datetime import date, datetime, timedelta, timezone

import orjson
import pytest
from pydantic import ValidationError
from sqlalchemy import insert, select, update

from ledger.db.read_model import BlockTime, CommitmentEvent
from ledger.db.write_model import Levy, OutboxCommand
from ledger.domain import commitments, fees, payments, projects
from ledger.domain.chain_time import CLOCK_SKEW_SECONDS
from ledger.domain.common import end_of_day
from ledger.domain.errors import InvalidState, ValidationFailed
from ledger.domain.schemas.office import CommitmentDecision, FeeAssessmentCreate
from ledger.core.identifiers import reference_key
from ledger.core.errors import ContractRevert
from ledger.outbox.kinds import COMMITMENT_STATUSES
from tests.contracts.helpers import DAY, DOC, GRACE, record, registry_call
from tests.contracts.helpers import commitment as chain_commitment
from tests.support.samples import assessment, commitment, payment, project, project_code, sha


def assessed(session, n: int = 1) -> Levy:
    projects.register_project(session, project=project(n), client="approval")
    fees.assess_fee(session, assessment=assessment(n), actor="office")
    session.commit()
    return session.execute(select(Levy).where(Levy.project_code == project_code(n))).scalar_one()


def command_args(session, kind: str) -> list[dict]:
    return [
        orjson.loads(a)
        for a in session.execute(
            select(OutboxCommand.args).where(OutboxCommand.kind == kind).order_by(OutboxCommand.seq)
        ).scalars()
    ]


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
        commitments.decide_commitment(
            session,
            commitment_number="C-1",
            actor="office",
            decision=CommitmentDecision(
                action="extend", document_sha256=sha(f"x{k}"), new_due_date=date.today() + timedelta(days=90 + k)
            ),
        )
    with pytest.raises(InvalidState) as refused:
        commitments.decide_commitment(
            session,
            commitment_number="C-1",
            actor="office",
            decision=CommitmentDecision(
                action="extend", document_sha256=sha("x4"), new_due_date=date.today() + timedelta(days=99)
            ),
        )
    assert (refused.value.field, refused.value.rule) == ("action", "max_extensions")


def indexed(session, number: str, event: str, status: str, block: int, timestamp: int) -> None:
    """A commitment event as the indexer mirrors it (with its block's time)."""
    key = "0x" + reference_key(number).hex()
    proof = {
        "chain_id": 31337,
        "block_number": block,
        "block_hash": "0x" + f"{block:064x}",
        "transaction_hash": "0x" + "22" * 32,
    }
    session.execute(
        insert(CommitmentEvent).values(
            **proof, log_index=0, commitment=key, enterprise="0x" + "33" * 32, event=event, status=status
        )
    )
    session.execute(
        insert(BlockTime).values(
            chain_id=31337, block_number=block, block_hash=proof["block_hash"], timestamp=timestamp
        )
    )
    session.execute(update(OutboxCommand).where(OutboxCommand.reference == number).values(status="indexed"))
    session.commit()


def test_a_fulfilment_dated_before_the_overdue_mark_is_sent_with_its_date_and_a_repair_so_dated_is_refused(
    session, chain_clock
):
    assessed(session)
    signed = datetime.now(timezone.utc) - timedelta(days=60)
    commitments.record_commitments(
        session,
        commitments=[
            commitment(1, "C-9").model_copy(update={"signed_at": signed, "due_date": date.today() - timedelta(days=20)})
        ],
        client="approval",
    )
    session.commit()
    marked = int(datetime.now(timezone.utc).timestamp()) - 3600
    indexed(session, "C-9", "marked_overdue", "overdue", 10, marked)
    before_due = datetime.combine(date.today() - timedelta(days=25), datetime.min.time(), timezone.utc)
    early_repair = CommitmentDecision(action="repair", document_sha256=sha("r"), decided_at=before_due)
    with pytest.raises(ValidationFailed) as refused:
        commitments.decide_commitment(session, commitment_number="C-9", decision=early_repair, actor="office")
    assert (refused.value.field, refused.value.rule) == ("decided_at", "not_before_overdue_mark")
    session.rollback()
    early = CommitmentDecision(action="fulfil", document_sha256=sha("e"), decided_at=before_due)
    commitments.decide_commitment(session, commitment_number="C-9", decision=early, actor="office")
    assert command_args(session, "fulfil_commitment")[0]["fulfilled_at"] == int(before_due.timestamp())


def test_a_decision_the_indexed_state_forbids_is_refused_when_nothing_of_ours_is_on_its_way(session):
    assessed(session)
    commitments.record_commitments(session, commitments=[commitment(1, "C-5")], client="approval")
    session.commit()
    repair = CommitmentDecision(action="repair", document_sha256=sha("r"))
    indexed(session, "C-5", "recorded", "recorded", 11, 1)
    from ledger.db.read_model import Commitment as CommitmentView

    session.execute(
        insert(CommitmentView).values(
            chain_id=31337,
            commitment="0x" + reference_key("C-5").hex(),
            project="0x" + "44" * 32,
            enterprise="0x" + "33" * 32,
            kind="shelter_build",
            status="recorded",
            fulfilled_late=False,
            extensions=0,
            signed_at=1,
            due_at=end_of_day(date.today() + timedelta(days=90)),
            evidence_submitted_at=0,
            decided_at=0,
            recorded_block=11,
            block_number=11,
            block_hash="0x" + "11" * 32,
            transaction_hash="0x" + "22" * 32,
            log_index=0,
        )
    )
    session.commit()
    with pytest.raises(InvalidState) as refused:
        commitments.decide_commitment(session, commitment_number="C-5", decision=repair, actor="office")
    assert (refused.value.field, refused.value.rule) == ("action", "allowed_transition")


def test_a_breach_of_a_commitment_still_recorded_is_refused_before_it_is_queued(session):
    assessed(session)
    commitments.record_commitments(session, commitments=[commitment(1, "C-6")], client="approval")
    session.commit()
    breach = CommitmentDecision(action="breach", document_sha256=sha("b"))
    with pytest.raises(InvalidState) as refused:  # its record on its way: it will be recorded, not overdue
        commitments.decide_commitment(session, commitment_number="C-6", decision=breach, actor="office")
    assert (refused.value.field, refused.value.rule) == ("action", "overdue_first")
    assert command_args(session, "breach_commitment") == []


# Each decision as its contract function, sent one second after the latest block: (role, function, args).
DECISION_CALLS = {
    "fulfil": ("VERIFIER_ROLE", "fulfil", lambda c: (DOC, c.now())),
    "accept": ("APPROVAL_ROLE", "fulfilByAcceptance", lambda c: (DOC, c.now())),
    "extend": ("VERIFIER_ROLE", "extend", lambda c: (c.now() + 500 * DAY, DOC)),
    "submit_evidence": ("APPROVAL_ROLE", "submitEvidence", lambda c: (DOC, c.now())),
    "reject_evidence": ("VERIFIER_ROLE", "rejectEvidence", lambda c: (DOC,)),
    "breach": ("VERIFIER_ROLE", "breach", lambda c: (DOC,)),
    "repair": ("VERIFIER_ROLE", "repair", lambda c: (DOC, c.now())),
}
# Every status a commitment can hold on the chain, and the open ones with evidence pending too.
CHAIN_STATES = [
    (status, pending)
    for status in ("recorded", "extended", "overdue", "fulfilled", "breached", "repaired")
    for pending in ((False, True) if status in commitments.OPEN else (False,))
]


def to_state(chain, status: str, evidence_pending: bool) -> None:
    """Commitment C-1 (shelter_build) brought to `status` on the node by the registry's own functions."""
    signed = chain.now()
    record(chain, signed_at=signed, due_in=DAY)
    if status == "extended":
        registry_call(chain, "VERIFIER_ROLE", "extend", "C-1", signed + 2 * DAY, DOC)
    if status == "fulfilled":
        registry_call(chain, "VERIFIER_ROLE", "fulfil", "C-1", DOC, signed)
    if status in ("overdue", "breached", "repaired"):
        registry_call(chain, "OUTSIDER", "markOverdue", "C-1", at=signed + DAY + GRACE + 1)
    if status in ("breached", "repaired"):
        registry_call(chain, "VERIFIER_ROLE", "breach", "C-1", DOC)
    if status == "repaired":
        registry_call(chain, "VERIFIER_ROLE", "repair", "C-1", DOC, chain.now())
    if evidence_pending:
        registry_call(chain, "APPROVAL_ROLE", "submitEvidence", "C-1", DOC, chain.now())
    held = chain_commitment(chain)
    assert (COMMITMENT_STATUSES[held["status"]], held["evidenceSubmittedAt"] != 0) == (status, evidence_pending)


@pytest.mark.parametrize(("status", "evidence_pending"), CHAIN_STATES)
@pytest.mark.parametrize("action", DECISION_CALLS)
def test_the_pre_check_of_every_decision_from_every_chain_status_answers_as_the_registry_does(
    chain, status, evidence_pending, action
):
    to_state(chain, status, evidence_pending)
    refusal = commitments.chain_refusal("C-1", action, status, evidence_pending)
    role, function, args = DECISION_CALLS[action]
    try:
        registry_call(chain, role, function, "C-1", *args(chain))
    except ContractRevert as revert:
        assert refusal is not None, f"the registry refused {action} from {status}: {revert.name}"
        assert refusal.field == "action" and refusal.rule in CHAIN_RULES[revert.name]
    else:
        assert refusal is None, f"the registry accepted {action} from {status}, the pre-check refuses: {refusal}"


# The rules the pre-check names for each refusal of the registry's (docs/integrators/chain-errors.md).
CHAIN_RULES = {
    "CommitmentRegistryInvalidTransition": {"allowed_transition", "overdue_first"},
    "CommitmentRegistryEvidencePending": {"no_evidence_pending"},
    "CommitmentRegistryNoEvidencePending": {"evidence_pending"},
}


# The fact times a dated decision can carry, against a commitment signed at `signed`, due a day later
# and marked overdue at `marked` (the block time of the mark): (name, moment).
FACT_TIMES = {
    "before the signing": lambda signed, marked: signed - 1,
    "at the signing": lambda signed, marked: signed,
    "before the due date": lambda signed, marked: signed + 10,
    "after the due date, before the mark": lambda signed, marked: signed + DAY + 10,
    "a second before the mark": lambda signed, marked: marked - 1,
    "at the mark": lambda signed, marked: marked,
}
# Each dated decision from the status it is accepted from once the commitment was marked overdue.
DATED_FROM = {"fulfil": "overdue", "accept": "overdue", "submit_evidence": "overdue", "repair": "breached"}


@pytest.mark.parametrize("when", FACT_TIMES)
@pytest.mark.parametrize("action", sorted(commitments.DECISION_TIME))
def test_the_fact_time_pre_check_of_every_dated_decision_answers_as_the_registry_does(chain, action, when):
    to_state(chain, DATED_FROM[action], False)
    held = chain_commitment(chain)
    signed, marked = held["signedAt"], held["overdueAt"]
    moment = FACT_TIMES[when](signed, marked)
    refusal = commitments.fact_time_problem("C-1", action, moment, "decided_at", signed, marked)
    role, function, args = DECISION_CALLS[action]
    try:
        registry_call(chain, role, function, "C-1", *args(chain)[:-1], moment)
    except ContractRevert as revert:
        assert revert.name == "CommitmentRegistryInvalidTime", revert.name
        assert refusal is not None, f"the registry refused {action} dated {when}, the pre-check accepts it"
        assert refusal.rule in {"not_before_signing", "not_before_overdue_mark"}
    else:
        assert refusal is None, f"the registry accepted {action} dated {when}, the pre-check refuses: {refusal}"


# -- fact times and totals as the chain holds them (review D1, D5–D7) --------------------------------


def test_an_omitted_decision_or_acceptance_time_is_never_before_the_signing_on_a_chain_behind_the_wall_clock(
    session, chain_clock
):
    chain_clock.offset = -600  # the node runs 10 minutes behind
    assessed(session)
    signed_ahead = datetime.fromtimestamp(chain_clock.now() + 800, timezone.utc)  # within the chain's skew
    commitments.record_commitments(
        session,
        commitments=[commitment(1, "C-OMIT"), commitment(1, "C-AHEAD").model_copy(update={"signed_at": signed_ahead})],
        client="approval",
    )
    session.commit()
    omitted, ahead = command_args(session, "record_commitment")
    assert abs(omitted["signed_at"] - chain_clock.now()) <= 2  # signed now on the chain's clock, not the wall's
    for number in ("C-OMIT", "C-AHEAD"):
        commitments.decide_commitment(
            session,
            commitment_number=number,
            actor="office",
            decision=CommitmentDecision(action="fulfil", document_sha256=sha("f")),
        )
    fulfilled = [args["fulfilled_at"] for args in command_args(session, "fulfil_commitment")]
    assert fulfilled[0] >= omitted["signed_at"] and fulfilled[1] == ahead["signed_at"]
    assert all(moment <= chain_clock.latest_allowed() for moment in fulfilled)


def test_an_omitted_acceptance_time_is_the_chain_s_now_even_before_a_mark_in_a_block_ahead(session, chain_clock):
    from ledger.domain.schemas.approval import AcceptanceReport

    assessed(session)
    signed = datetime.now(timezone.utc) - timedelta(days=60)
    commitments.record_commitments(
        session,
        commitments=[
            commitment(1, "C-SB").model_copy(
                update={"signed_at": signed, "due_date": date.today() - timedelta(days=20)}
            )
        ],
        client="approval",
    )
    session.commit()
    marked = chain_clock.now() + 300  # marked overdue in a block ahead of our reading of the chain
    indexed(session, "C-SB", "marked_overdue", "overdue", 12, marked)
    before = chain_clock.now()
    commitments.report_acceptance(
        session,
        client="approval",
        report=AcceptanceReport(
            project_code=project_code(1), passed=True, surveyed_shelter_area=40_000, report_sha256=sha("acc")
        ),
    )
    (accepted,) = command_args(session, "fulfil_by_acceptance")
    assert before <= accepted["accepted_at"] < marked  # the registry accepts a fact before the mark (issue 17)


def test_a_reassessment_is_never_dated_before_the_first_assessment_even_when_the_chain_s_clock_falls_back(
    session, chain_clock
):
    assessed(session)
    (first,) = command_args(session, "assess_fee")
    # A later reading of the chain's clock is behind the first notice's time: the latest time the
    # chain accepts now is exactly that time (set from the notice, so a tick of the wall clock between
    # the two assessments does not matter).
    chain_clock.offset = first["assessed_at"] - CLOCK_SKEW_SECONDS - chain_clock.started
    fees.assess_fee(session, assessment=assessment(1), actor="office")
    session.commit()
    assert command_args(session, "assess_fee")[1]["assessed_at"] == first["assessed_at"]
    chain_clock.offset = -3600  # so far behind that the chain would refuse the first notice's time now
    with pytest.raises(ValidationFailed) as refused:
        fees.assess_fee(session, assessment=assessment(1), actor="office")
    assert (refused.value.field, refused.value.rule) == ("project_code", "not_after_chain_time")


def test_an_assessment_whose_fee_a_levy_cannot_hold_is_refused_naming_the_project(session):
    levy = assessed(session)
    shortfall = (2**63 + 2**61) * 100 // levy.rate_fen_per_m2  # a fee between 2^63 and 2^64 fen
    projects.register_project(session, project=project(1, required=shortfall + 40_000, built=40_000), client="approval")
    with pytest.raises(ValidationFailed) as refused:
        fees.assess_fee(session, assessment=assessment(1), actor="office")
    assert (refused.value.field, refused.value.rule) == ("project_code", "fee_in_range")


def mirrored_account(session, n: int = 1, **figures) -> None:
    """Project n's account as the read model mirrors a migrated one: AccountImported and the account."""
    import time

    from ledger.db.read_model import ChainState, FeeAccount, FeeAccountImport
    from ledger.domain.common import project_key_hex

    proof = {"block_number": 3, "block_hash": "0x" + "33" * 32, "transaction_hash": "0x" + "44" * 32}
    if session.get(ChainState, 31337) is None:
        session.add(
            ChainState(
                chain_id=31337,
                genesis_hash="0x" + "00" * 32,
                block_number=3,
                block_hash=proof["block_hash"],
                updated_at=time.time(),
            )
        )
    values = {
        "payer": "0x" + "55" * 32,
        "district": 410105,
        "rate_table_version": 1,
        "revision": 1,
        "relief_bps": 0,
        "base_fen": 1_000,
        "adjustment_fen": 0,
        "due_fen": 1_000,
        "paid_fen": 0,
        "refunded_fen": 0,
        "assessed_at": 1,
        "due_at": 2**32 - 1,
    } | figures
    project = project_key_hex(project_code(n))
    session.add(FeeAccountImport(chain_id=31337, project=project, log_index=0, **proof, **values))
    session.add(
        FeeAccount(
            chain_id=31337, project=project, log_index=0, refund_owed_fen=0, status="assessed", **proof, **values
        )
    )
    session.commit()


def test_a_payment_or_refund_past_2_64_with_the_migrated_totals_is_refused_naming_the_amount(session):
    from ledger.domain.schemas.tax import RefundCreate

    levy = assessed(session)
    mirrored_account(session, paid_fen=2**64 - 100, refunded_fen=2**64 - 100, assessed_at=int(levy.created_at))
    with pytest.raises(ValidationFailed) as refused:
        payments.confirm_payment(session, confirmation=payment(1, "V-OVER", 200), client="tax")
    assert (refused.value.field, refused.value.rule) == ("amount_fen", "paid_total_in_range")
    with pytest.raises(ValidationFailed) as refused:
        payments.record_refund(
            session,
            client="tax",
            refund=RefundCreate(
                refund_reference="RF-OVER",
                levy_number=levy.levy_number,
                amount_fen=200,
                refunded_at=datetime.now(timezone.utc),
            ),
        )
    assert (refused.value.field, refused.value.rule) == ("amount_fen", "refunded_total_in_range")
    payments.confirm_payment(session, confirmation=payment(1, "V-FITS", 99), client="tax")  # up to 2^64 − 1


def test_a_payment_is_judged_by_the_assessment_time_the_chain_holds_not_the_levy_s_wall_clock_creation(session):
    levy = assessed(session)  # created on the wall clock (before v3, say); the migration imported a later assessedAt
    imported_at = int(levy.created_at) + 600
    mirrored_account(session, assessed_at=imported_at)
    with pytest.raises(ValidationFailed) as refused:
        payments.confirm_payment(
            session,
            confirmation=payment(
                1, "V-EARLY", 100, paid_at=datetime.fromtimestamp(int(levy.created_at) + 60, timezone.utc)
            ),
            client="tax",
        )
    assert (refused.value.field, refused.value.rule) == ("paid_at", "not_before_assessment")
    payments.confirm_payment(
        session,
        confirmation=payment(1, "V-AT", 100, paid_at=datetime.fromtimestamp(imported_at, timezone.utc)),
        client="tax",
    )


def test_an_adjustment_past_int64_with_the_migrated_adjustments_is_refused_naming_delta_fen(session):
    from ledger.domain.rates import SURVEY_SUPPLEMENT
    from ledger.domain.schemas.office import AdjustmentCreate

    levy = assessed(session)
    mirrored_account(session, adjustment_fen=2**63 - 100, assessed_at=int(levy.created_at))
    with pytest.raises(ValidationFailed) as refused:
        fees.adjust_fee(
            session,
            actor="office",
            adjustment=AdjustmentCreate(
                project_code=project_code(1), reason_code=SURVEY_SUPPLEMENT, delta_fen=200, document_sha256=sha("d")
            ),
        )
    assert (refused.value.field, refused.value.rule) == ("delta_fen", "adjustments_in_range")


def test_an_imported_account_is_reassessed_with_the_time_due_date_and_payer_the_chain_keeps(session):
    from ledger.domain.common import enterprise_key_hex
    from tests.support.samples import make_uscc

    projects.register_project(session, project=project(1), client="approval")
    session.commit()
    imported_at, due_at = (
        int(datetime.now(timezone.utc).timestamp()) - 86_400,
        end_of_day(date.today() + timedelta(days=40)),
    )
    mirrored_account(session, assessed_at=imported_at, due_at=due_at, payer=enterprise_key_hex(make_uscc(1)))
    fees.assess_fee(session, assessment=FeeAssessmentCreate(project_code=project_code(1)), actor="office")
    (args,) = command_args(session, "assess_fee")
    assert args["due_at"] == due_at and args["assessed_at"] >= imported_at
    projects.register_project(session, project=project(1, builder=7), client="approval")
    with pytest.raises(InvalidState) as refused:
        fees.assess_fee(session, assessment=FeeAssessmentCreate(project_code=project_code(1)), actor="office")
    assert (refused.value.field, refused.value.rule) == ("project_code", "same_payer")
