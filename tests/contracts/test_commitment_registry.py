import pytest
from eth_utils import function_abi_to_4byte_selector

from ledger.core.identifiers import reference_key
from tests.contracts.helpers import (
    BREACHED,
    DAY,
    DOC,
    EXTENDED,
    FULFILLED,
    GRACE,
    NONE,
    OVERDUE,
    PAYER,
    RECORDED,
    REPAIRED,
    SKEW,
    call,
    commitment,
    counters,
    events,
    project,
    record,
    registry_call,
    reverts,
    send_at,
)

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil

ZERO = b"\0" * 32
C1 = reference_key("C-1")


def verifier(chain, name, number="C-1", *args, at=None):
    return registry_call(chain, "VERIFIER_ROLE", name, number, *args, at=at)


def mark_overdue(chain, number="C-1", at=None):
    return registry_call(chain, "OUTSIDER", "markOverdue", number, at=at)


# -- recording ------------------------------------------------------------------------------------------


def test_a_recorded_commitment_emits_every_field_and_counts(chain):
    signed = chain.now() - 3_600
    receipt = record(chain, signed_at=signed, due_in=30 * DAY, kind=2)
    recorded_at = chain.now()
    assert events(chain.registry, "CommitmentRecorded", receipt) == [
        {
            "commitment": C1,
            "project": project(),
            "enterprise": PAYER,
            "kind": 2,
            "signedAt": signed,
            "dueAt": signed + 30 * DAY,
            "termsHash": DOC,
        }
    ]
    assert commitment(chain) == {
        "project": project(),
        "enterprise": PAYER,
        "kind": 2,
        "status": RECORDED,
        "fulfilledLate": False,
        "extensions": 0,
        "signedAt": signed,
        "dueAt": signed + 30 * DAY,
        "evidenceSubmittedAt": 0,
        "decidedAt": 0,
        "recordedAt": recorded_at,
        "overdueAt": 0,
    }
    assert counters(chain)["recorded"] == 1


def test_a_commitment_signed_earlier_and_already_past_due_is_still_recorded(chain):
    signed = chain.now() - 40 * DAY
    record(chain, signed_at=signed, due_in=30 * DAY)
    assert commitment(chain)["status"] == RECORDED
    assert commitment(chain)["dueAt"] < chain.now()


def test_the_signing_time_may_not_be_zero_or_beyond_the_skew(chain):
    now = chain.now() + 1
    with reverts("CommitmentRegistryInvalidTime"):
        record(chain, "C-0", signed_at=0, at=now)
    with reverts("CommitmentRegistryInvalidTime") as excinfo:
        record(chain, "C-1", signed_at=now + 10 + SKEW + 1, at=now + 10)
    assert excinfo.value.args_ == (now + 10 + SKEW + 1,)
    record(chain, "C-1", signed_at=now + 20 + SKEW, at=now + 20)


def test_the_due_date_gives_the_minimum_notice_and_stays_within_the_horizon(chain):
    signed = chain.now()
    for n, (due_in, ok) in enumerate(((DAY - 1, False), (DAY, True), (3650 * DAY, True), (3650 * DAY + 1, False))):
        if ok:
            record(chain, f"C-{n}", signed_at=signed, due_in=due_in)
        else:
            with reverts("CommitmentRegistryInvalidDueDate"):
                record(chain, f"C-{n}", signed_at=signed, due_in=due_in)


def test_zero_identifiers_a_zero_terms_hash_and_an_unknown_kind_are_refused(chain):
    now = chain.now()
    base = [C1, project(), PAYER, 0, now, now + DAY, DOC]
    for position, error in (
        (0, "CommitmentRegistryZeroIdentifier"),
        (1, "CommitmentRegistryZeroIdentifier"),
        (2, "CommitmentRegistryZeroIdentifier"),
        (6, "CommitmentRegistryZeroHash"),
    ):
        args = list(base)
        args[position] = ZERO
        with reverts(error):
            send_at(chain, "APPROVAL_ROLE", chain.registry.functions.record(*args))
    with reverts("CommitmentRegistryInvalidKind") as excinfo:
        record(chain, kind=4)
    assert excinfo.value.args_ == (4,)
    record(chain, kind=3)


def test_a_replayed_record_is_a_no_op_and_a_different_one_under_the_number_reverts(chain):
    signed = chain.now()
    record(chain, signed_at=signed)
    receipt = record(chain, signed_at=signed)
    assert events(chain.registry, "CommitmentRecorded", receipt) == []
    with reverts("CommitmentRegistryAlreadyRecorded") as excinfo:
        record(chain, signed_at=signed, due_in=31 * DAY)
    assert excinfo.value.args_ == (C1,)
    assert counters(chain)["recorded"] == 1


def test_a_replayed_record_batch_records_only_the_new_entries(chain):
    now = chain.now()
    batch = [(reference_key(f"C-{n}"), project(), PAYER, n % 4, now, now + DAY, DOC) for n in range(3)]
    send_at(chain, "APPROVAL_ROLE", chain.registry.functions.recordBatch(batch))
    retry = batch + [(reference_key("C-new"), project(), PAYER, 0, now, now + DAY, DOC)]
    receipt = send_at(chain, "APPROVAL_ROLE", chain.registry.functions.recordBatch(retry))
    assert [e["commitment"] for e in events(chain.registry, "CommitmentRecorded", receipt)] == [reference_key("C-new")]
    assert counters(chain)["recorded"] == 4
    with reverts("CommitmentRegistryEmptyBatch"):
        send_at(chain, "APPROVAL_ROLE", chain.registry.functions.recordBatch([]))


# -- fact times and lateness --------------------------------------------------------------------------------


def test_a_fulfilment_whose_evidence_came_before_the_due_date_but_was_written_after_it_is_not_late(chain):
    signed = chain.now()
    due = signed + 2 * DAY
    record(chain, signed_at=signed, due_in=2 * DAY)
    receipt = registry_call(chain, "APPROVAL_ROLE", "submitEvidence", "C-1", DOC, due - 10, at=due + 5 * DAY)
    assert events(chain.registry, "CommitmentEvidenceSubmitted", receipt) == [
        {"commitment": C1, "evidenceHash": DOC, "submittedAt": due - 10}
    ]
    receipt = verifier(chain, "fulfil", "C-1", DOC, due + 20 * DAY, at=due + 20 * DAY)
    assert events(chain.registry, "CommitmentFulfilled", receipt) == [
        {"commitment": C1, "evidenceHash": DOC, "fulfilledAt": due - 10, "late": False, "byAcceptance": False}
    ]
    assert counters(chain) == dict(recorded=1, fulfilled=1, fulfilledLate=0, overdue=0, breached=0, repaired=0)
    assert commitment(chain)["decidedAt"] == due - 10


def test_late_is_the_fact_time_after_the_due_date_to_the_second(chain):
    signed = chain.now()
    due = signed + DAY
    record(chain, "C-on-time", signed_at=signed, due_in=DAY)
    record(chain, "C-late", signed_at=signed, due_in=DAY)
    on_time = verifier(chain, "fulfil", "C-on-time", DOC, due, at=due + 100)
    late = verifier(chain, "fulfil", "C-late", DOC, due + 1)
    assert events(chain.registry, "CommitmentFulfilled", on_time)[0]["late"] is False
    assert events(chain.registry, "CommitmentFulfilled", late)[0]["late"] is True
    assert counters(chain)["fulfilledLate"] == 1
    assert commitment(chain, "C-late")["fulfilledLate"] is True


def test_a_fact_time_before_signing_or_beyond_the_skew_is_refused(chain):
    signed = chain.now() - 100
    record(chain, signed_at=signed)
    now = chain.now() + 1
    for name, role, args in (
        ("fulfil", "VERIFIER_ROLE", ()),
        ("submitEvidence", "APPROVAL_ROLE", ()),
        ("fulfilByAcceptance", "APPROVAL_ROLE", ()),
    ):
        with reverts("CommitmentRegistryInvalidTime"):
            registry_call(chain, role, name, "C-1", DOC, signed - 1, at=now)
        with reverts("CommitmentRegistryInvalidTime"):
            registry_call(chain, role, name, "C-1", DOC, now + 1 + SKEW + 1, at=now + 1)
        now += 2
    registry_call(chain, "APPROVAL_ROLE", "submitEvidence", "C-1", DOC, signed)
    verifier(chain, "fulfil", "C-1", DOC, chain.now() + 1 + SKEW, at=chain.now() + 1)


def test_the_earliest_pending_evidence_counts(chain):
    signed = chain.now() - 1_000
    record(chain, signed_at=signed)
    registry_call(chain, "VERIFIER_ROLE", "submitEvidence", "C-1", DOC, signed + 500)
    registry_call(chain, "APPROVAL_ROLE", "submitEvidence", "C-1", DOC, signed + 100)
    registry_call(chain, "APPROVAL_ROLE", "submitEvidence", "C-1", DOC, signed + 800)
    assert commitment(chain)["evidenceSubmittedAt"] == signed + 100


def test_the_approval_system_fulfils_shelter_build_by_acceptance_only(chain):
    signed = chain.now()
    record(chain, "C-shelter", signed_at=signed, kind=0)
    record(chain, "C-fee", signed_at=signed, kind=1)
    receipt = registry_call(chain, "APPROVAL_ROLE", "fulfilByAcceptance", "C-shelter", DOC, signed + 10)
    assert events(chain.registry, "CommitmentFulfilled", receipt) == [
        {
            "commitment": reference_key("C-shelter"),
            "evidenceHash": DOC,
            "fulfilledAt": signed + 10,
            "late": False,
            "byAcceptance": True,
        }
    ]
    with reverts("CommitmentRegistryNotShelterBuild") as excinfo:
        registry_call(chain, "APPROVAL_ROLE", "fulfilByAcceptance", "C-fee", DOC, signed + 10)
    assert excinfo.value.args_ == (reference_key("C-fee"),)


# -- overdue ------------------------------------------------------------------------------------------------


def test_overdue_waits_for_the_grace_period_after_the_due_date_to_the_second(chain):
    signed = chain.now()
    due = signed + DAY
    record(chain, signed_at=signed, due_in=DAY)
    with reverts("CommitmentRegistryNotYetDue") as excinfo:
        mark_overdue(chain, at=due + GRACE)
    assert excinfo.value.args_ == (C1, due + GRACE)
    receipt = mark_overdue(chain, at=due + GRACE + 1)
    assert events(chain.registry, "CommitmentMarkedOverdue", receipt) == [{"commitment": C1, "dueAt": due}]
    assert commitment(chain)["status"] == OVERDUE
    assert counters(chain)["overdue"] == 1


def test_pending_evidence_stops_the_overdue_clock_until_it_is_rejected(chain):
    signed = chain.now()
    record(chain, signed_at=signed, due_in=DAY)
    registry_call(chain, "APPROVAL_ROLE", "submitEvidence", "C-1", DOC, signed + 10)
    chain.travel(DAY + GRACE + 10)
    with reverts("CommitmentRegistryEvidencePending"):
        mark_overdue(chain)
    receipt = verifier(chain, "rejectEvidence", "C-1", DOC)
    assert events(chain.registry, "CommitmentEvidenceRejected", receipt) == [{"commitment": C1, "reasonHash": DOC}]
    assert commitment(chain)["evidenceSubmittedAt"] == 0
    with reverts("CommitmentRegistryNoEvidencePending"):
        verifier(chain, "rejectEvidence", "C-1", DOC)
    mark_overdue(chain)
    assert commitment(chain)["status"] == OVERDUE


def test_a_pause_across_a_due_date_marks_nobody_overdue(chain):
    signed = chain.now()
    due = signed + DAY
    record(chain, "C-kept", signed_at=signed, due_in=DAY)
    record(chain, "C-idle", signed_at=signed, due_in=DAY)
    send_at(chain, "PAUSER_ROLE", chain.registry.functions.pause())
    chain.travel(DAY + GRACE + 100)  # the due date and its grace period pass while paused
    with reverts("EnforcedPause"):
        mark_overdue(chain, "C-idle")
    unpaused = chain.now() + 1
    send_at(chain, "PAUSER_ROLE", chain.registry.functions.unpause(), unpaused)
    # The writes held back by the pause get a fresh grace period to land.
    registry_call(chain, "APPROVAL_ROLE", "submitEvidence", "C-kept", DOC, due - 60)
    verifier(chain, "fulfil", "C-kept", DOC, chain.now())
    with reverts("CommitmentRegistryNotYetDue") as excinfo:
        mark_overdue(chain, "C-idle", at=unpaused + GRACE)
    assert excinfo.value.args_ == (reference_key("C-idle"), unpaused + GRACE)
    assert counters(chain)["overdue"] == 0
    assert commitment(chain, "C-kept")["fulfilledLate"] is False
    mark_overdue(chain, "C-idle", at=unpaused + GRACE + 1)  # a genuinely idle one, once the grace is over


def test_a_batch_of_overdue_marks_with_stale_entries_marks_the_rest(chain):
    signed = chain.now()
    for n in range(3):
        record(chain, f"C-{n}", signed_at=signed, due_in=DAY)
    record(chain, "C-later", signed_at=signed, due_in=100 * DAY)
    record(chain, "C-done", signed_at=signed, due_in=DAY)
    verifier(chain, "fulfil", "C-done", DOC, signed + 1)
    chain.travel(DAY + GRACE + 1)
    ids = [reference_key(x) for x in ("C-0", "C-later", "C-1", "C-done", "C-unknown", "C-2")]
    assert call(chain.registry.functions.markOverdueBatch(ids)) == 3
    receipt = send_at(chain, "OUTSIDER", chain.registry.functions.markOverdueBatch(ids))
    sel = {e["name"]: function_abi_to_4byte_selector(e) for e in chain.registry.abi if e["type"] == "error"}
    assert events(chain.registry, "CommitmentOverdueSkipped", receipt) == [  # made-up ids: no event (finding 11)
        {"commitment": reference_key("C-later"), "reason": sel["CommitmentRegistryNotYetDue"]},
        {"commitment": reference_key("C-done"), "reason": sel["CommitmentRegistryInvalidTransition"]},
    ]
    assert [e["commitment"] for e in events(chain.registry, "CommitmentMarkedOverdue", receipt)] == ids[0:1] + ids[
        2:3
    ] + ids[5:6]
    assert counters(chain)["overdue"] == 3
    with reverts("CommitmentRegistryEmptyBatch"):
        send_at(chain, "OUTSIDER", chain.registry.functions.markOverdueBatch([]))


def test_an_extension_of_an_overdue_commitment_can_fall_overdue_again(chain):
    signed = chain.now()
    record(chain, signed_at=signed, due_in=DAY)
    chain.travel(DAY + GRACE + 1)
    mark_overdue(chain)
    new_due = chain.now() + 10 * DAY
    receipt = verifier(chain, "extend", "C-1", new_due, DOC)
    assert events(chain.registry, "CommitmentExtended", receipt) == [
        {"commitment": C1, "newDueAt": new_due, "documentHash": DOC, "extensions": 1}
    ]
    assert commitment(chain)["status"] == EXTENDED
    with reverts("CommitmentRegistryNotYetDue"):
        mark_overdue(chain)
    mark_overdue(chain, at=new_due + GRACE + 1)
    assert counters(chain)["overdue"] == 2


def test_the_grace_period_is_set_by_the_admin_within_its_maximum(chain):
    receipt = send_at(chain, "DEFAULT_ADMIN_ROLE", chain.registry.functions.setOverdueGracePeriod(90 * DAY))
    assert events(chain.registry, "OverdueGracePeriodSet", receipt) == [{"gracePeriod": 90 * DAY}]
    with reverts("CommitmentRegistryInvalidGracePeriod"):
        send_at(chain, "DEFAULT_ADMIN_ROLE", chain.registry.functions.setOverdueGracePeriod(90 * DAY + 1))
    for too_short in (0, DAY - 1):  # review D4: with no grace, finding 3's fix would protect nothing
        with reverts("CommitmentRegistryInvalidGracePeriod") as excinfo:
            send_at(chain, "DEFAULT_ADMIN_ROLE", chain.registry.functions.setOverdueGracePeriod(too_short))
        assert excinfo.value.args_ == (too_short,)
    send_at(chain, "DEFAULT_ADMIN_ROLE", chain.registry.functions.setOverdueGracePeriod(DAY))
    signed = chain.now()
    record(chain, signed_at=signed, due_in=DAY)
    with reverts("CommitmentRegistryNotYetDue"):
        mark_overdue(chain, at=signed + 2 * DAY)
    mark_overdue(chain, at=signed + 2 * DAY + 1)


def test_after_an_extension_from_overdue_a_fulfilment_before_the_new_due_date_is_on_time(chain):
    # review D5: the mark and its count stay; the fulfilment is judged against the new due date
    record(chain, signed_at=chain.now(), due_in=DAY)
    chain.travel(DAY + GRACE + 1)
    mark_overdue(chain)
    overdue_at = commitment(chain)["overdueAt"]
    verifier(chain, "extend", "C-1", chain.now() + 10 * DAY, DOC)
    receipt = verifier(chain, "fulfil", "C-1", DOC, overdue_at + 1)
    assert events(chain.registry, "CommitmentFulfilled", receipt)[0]["late"] is False
    assert commitment(chain)["overdueAt"] == overdue_at
    assert counters(chain) == dict(recorded=1, fulfilled=1, fulfilledLate=0, overdue=1, breached=0, repaired=0)


# -- decisions ----------------------------------------------------------------------------------------------


def test_a_breach_comes_only_from_overdue_and_not_while_evidence_is_pending(chain):
    signed = chain.now()
    record(chain, signed_at=signed, due_in=DAY)
    with reverts("CommitmentRegistryInvalidTransition"):
        verifier(chain, "breach", "C-1", DOC)
    chain.travel(DAY + GRACE + 1)
    mark_overdue(chain)
    registry_call(chain, "APPROVAL_ROLE", "submitEvidence", "C-1", DOC, chain.now())
    with reverts("CommitmentRegistryEvidencePending"):
        verifier(chain, "breach", "C-1", DOC)
    verifier(chain, "rejectEvidence", "C-1", DOC)
    with reverts("CommitmentRegistryZeroHash"):
        verifier(chain, "breach", "C-1", ZERO)
    receipt = verifier(chain, "breach", "C-1", DOC)
    assert events(chain.registry, "CommitmentBreached", receipt) == [{"commitment": C1, "reasonHash": DOC}]
    repaired_at = chain.now() - 5
    receipt = verifier(chain, "repair", "C-1", DOC, repaired_at)
    assert events(chain.registry, "CommitmentRepaired", receipt) == [
        {"commitment": C1, "evidenceHash": DOC, "repairedAt": repaired_at}
    ]
    assert counters(chain) == dict(recorded=1, fulfilled=0, fulfilledLate=0, overdue=1, breached=1, repaired=1)
    assert commitment(chain)["decidedAt"] == repaired_at


def test_extensions_are_capped_and_bounded(chain):
    signed = chain.now()
    record(chain, signed_at=signed, due_in=DAY)
    due = signed + DAY
    with reverts("CommitmentRegistryInvalidDueDate"):
        verifier(chain, "extend", "C-1", due, DOC)
    with reverts("CommitmentRegistryInvalidDueDate"):
        verifier(chain, "extend", "C-1", signed + 3650 * DAY + 1, DOC)
    with reverts("CommitmentRegistryZeroHash"):
        verifier(chain, "extend", "C-1", due + 1, ZERO)
    for n in range(1, 4):
        verifier(chain, "extend", "C-1", due + n, DOC)
    assert commitment(chain)["extensions"] == 3
    with reverts("CommitmentRegistryTooManyExtensions"):
        verifier(chain, "extend", "C-1", due + 10, DOC)
    chain.travel(2 * DAY)
    with reverts("CommitmentRegistryTooManyExtensions"):
        verifier(chain, "extend", "C-1", chain.now() - 1, DOC)


def test_an_extension_to_a_past_date_is_refused(chain):
    signed = chain.now() - 40 * DAY
    record(chain, signed_at=signed, due_in=30 * DAY)
    now = chain.now() + 1
    with reverts("CommitmentRegistryInvalidDueDate"):
        verifier(chain, "extend", "C-1", now, DOC, at=now)
    verifier(chain, "extend", "C-1", now + 2, DOC, at=now + 1)


# -- every operation from every state -------------------------------------------------------------------


def _to_state(chain, state: int) -> None:
    signed = chain.now()
    if state == NONE:
        return
    record(chain, signed_at=signed, due_in=DAY)
    if state == FULFILLED:
        verifier(chain, "fulfil", "C-1", DOC, signed)
    elif state == EXTENDED:
        verifier(chain, "extend", "C-1", signed + 2 * DAY, DOC)
    elif state in (OVERDUE, BREACHED, REPAIRED):
        mark_overdue(chain, at=signed + DAY + GRACE + 1)
        if state in (BREACHED, REPAIRED):
            verifier(chain, "breach", "C-1", DOC)
        if state == REPAIRED:
            verifier(chain, "repair", "C-1", DOC, chain.now())


OPEN = {RECORDED, EXTENDED, OVERDUE}
# operation -> (role, args(chain), states it is allowed from, status after)
OPERATIONS = {
    "fulfil": ("VERIFIER_ROLE", lambda c: (DOC, c.now()), OPEN, FULFILLED),
    "fulfilByAcceptance": ("APPROVAL_ROLE", lambda c: (DOC, c.now()), OPEN, FULFILLED),
    "submitEvidence": ("APPROVAL_ROLE", lambda c: (DOC, c.now()), OPEN, None),
    "extend": ("VERIFIER_ROLE", lambda c: (c.now() + 500 * DAY, DOC), OPEN, EXTENDED),
    "markOverdue": ("OUTSIDER", lambda c: (), {RECORDED, EXTENDED}, OVERDUE),
    "breach": ("VERIFIER_ROLE", lambda c: (DOC,), {OVERDUE}, BREACHED),
    "repair": ("VERIFIER_ROLE", lambda c: (DOC, c.now()), {BREACHED}, REPAIRED),
    "rejectEvidence": ("VERIFIER_ROLE", lambda c: (DOC,), set(), None),  # no evidence is pending here
}
STATES = {
    "none": NONE,
    "recorded": RECORDED,
    "fulfilled": FULFILLED,
    "overdue": OVERDUE,
    "breached": BREACHED,
    "repaired": REPAIRED,
    "extended": EXTENDED,
}


@pytest.mark.parametrize("state", STATES.values(), ids=STATES.keys())
@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_from_every_state_succeeds_or_reverts_with_its_named_error(chain, state, operation):
    _to_state(chain, state)
    role, args, allowed, after = OPERATIONS[operation]
    if operation == "markOverdue":
        chain.travel(100 * DAY)  # long past every due date and grace period
    before = commitment(chain)["status"]
    if state in allowed:
        registry_call(chain, role, operation, "C-1", *args(chain))
        assert commitment(chain)["status"] == (after if after is not None else before)
        return
    expected = (
        "CommitmentRegistryUnknownCommitment"
        if state == NONE
        else "CommitmentRegistryNoEvidencePending"
        if operation == "rejectEvidence" and state in OPEN
        else "CommitmentRegistryInvalidTransition"
    )
    with reverts(expected):
        registry_call(chain, role, operation, "C-1", *args(chain))
    assert commitment(chain)["status"] == before


# -- contracts v3 (issue 13) ----------------------------------------------------------------------------


def test_the_grace_period_also_runs_from_when_the_commitment_became_known_on_chain(chain):
    # finding 3: recorded after its due date, it is not overdue in the next block
    signed = chain.now() - 40 * DAY
    record(chain, signed_at=signed, due_in=30 * DAY)
    recorded_at = chain.now()
    with reverts("CommitmentRegistryNotYetDue") as excinfo:
        mark_overdue(chain, at=recorded_at + GRACE)
    assert excinfo.value.args_ == (C1, recorded_at + GRACE)
    mark_overdue(chain, at=recorded_at + GRACE + 1)
    assert commitment(chain)["recordedAt"] == recorded_at


def test_evidence_dated_before_the_overdue_mark_is_accepted_after_it_and_judged_against_the_due_date(chain):
    # issue 17: evidence that came in time but reached the chain after the mark keeps its own date
    signed = chain.now()
    record(chain, signed_at=signed, due_in=DAY)
    marked_at = signed + DAY + GRACE + 1
    mark_overdue(chain, at=marked_at)
    for role, name in (
        ("VERIFIER_ROLE", "fulfil"),
        ("APPROVAL_ROLE", "submitEvidence"),
        ("APPROVAL_ROLE", "fulfilByAcceptance"),
    ):
        with reverts("CommitmentRegistryInvalidTime") as excinfo:  # never before the signing
            registry_call(chain, role, name, "C-1", DOC, signed - 1)
        assert excinfo.value.args_ == (signed - 1,)
    registry_call(chain, "APPROVAL_ROLE", "submitEvidence", "C-1", DOC, signed + 10)
    assert commitment(chain)["evidenceSubmittedAt"] == signed + 10
    receipt = verifier(chain, "fulfil", "C-1", DOC, chain.now())
    (fulfilled,) = events(chain.registry, "CommitmentFulfilled", receipt)
    assert (fulfilled["fulfilledAt"], fulfilled["late"]) == (signed + 10, False)
    held = commitment(chain)
    assert (held["status"], held["decidedAt"], held["overdueAt"]) == (FULFILLED, signed + 10, marked_at)
    assert counters(chain)["overdue"] == 1 and counters(chain)["fulfilledLate"] == 0


@pytest.mark.parametrize("function", ["fulfil", "fulfilByAcceptance"])
def test_a_fulfilment_dated_after_the_due_date_but_before_the_mark_is_accepted_late(chain, function):
    signed = chain.now()
    record(chain, signed_at=signed, due_in=DAY)
    marked_at = signed + DAY + GRACE + 1
    mark_overdue(chain, at=marked_at)
    role = "APPROVAL_ROLE" if function == "fulfilByAcceptance" else "VERIFIER_ROLE"
    receipt = registry_call(chain, role, function, "C-1", DOC, signed + DAY + 1)
    (fulfilled,) = events(chain.registry, "CommitmentFulfilled", receipt)
    assert (fulfilled["fulfilledAt"], fulfilled["late"]) == (signed + DAY + 1, True)
    assert commitment(chain)["overdueAt"] == marked_at


def test_a_fact_beyond_the_skew_is_refused_after_the_overdue_mark_too(chain):
    signed = chain.now()
    record(chain, signed_at=signed, due_in=DAY)
    mark_overdue(chain, at=signed + DAY + GRACE + 1)
    now = chain.now() + 1
    with reverts("CommitmentRegistryInvalidTime") as excinfo:
        registry_call(chain, "APPROVAL_ROLE", "submitEvidence", "C-1", DOC, now + SKEW + 1, at=now)
    assert excinfo.value.args_ == (now + SKEW + 1,)


def test_a_repair_dated_before_the_overdue_mark_or_beyond_the_skew_is_refused(chain):
    signed = chain.now()
    record(chain, signed_at=signed, due_in=DAY)
    marked_at = signed + DAY + GRACE + 1
    mark_overdue(chain, at=marked_at)
    verifier(chain, "breach", "C-1", DOC)
    with reverts("CommitmentRegistryInvalidTime"):
        verifier(chain, "repair", "C-1", DOC, marked_at - 1)
    now = chain.now() + 1
    with reverts("CommitmentRegistryInvalidTime"):
        verifier(chain, "repair", "C-1", DOC, now + SKEW + 1, at=now)
    verifier(chain, "repair", "C-1", DOC, marked_at)
    assert commitment(chain)["status"] == REPAIRED


def test_a_short_pause_extends_the_grace_by_its_length_only(chain):
    # finding 6: a one-minute pause does not restart a whole grace period
    signed = chain.now()
    due = signed + DAY
    record(chain, signed_at=signed, due_in=DAY)
    send_at(chain, "PAUSER_ROLE", chain.registry.functions.pause(), due + 100)
    send_at(chain, "PAUSER_ROLE", chain.registry.functions.unpause(), due + 160)
    with reverts("CommitmentRegistryNotYetDue") as excinfo:
        mark_overdue(chain, at=due + GRACE + 60)
    assert excinfo.value.args_ == (C1, due + GRACE + 60)
    mark_overdue(chain, at=due + GRACE + 61)


def test_pauses_before_the_clock_started_do_not_extend_it_and_every_later_one_does(chain):
    signed = chain.now()
    send_at(chain, "PAUSER_ROLE", chain.registry.functions.pause(), signed + 10)
    send_at(chain, "PAUSER_ROLE", chain.registry.functions.unpause(), signed + 1_000)
    record(chain, signed_at=signed, due_in=DAY)
    due = signed + DAY
    for start, end in ((due - 50, due + 50), (due + 200, due + 300)):  # 50 s and 100 s after the due date
        send_at(chain, "PAUSER_ROLE", chain.registry.functions.pause(), start)
        send_at(chain, "PAUSER_ROLE", chain.registry.functions.unpause(), end)
    with reverts("CommitmentRegistryNotYetDue") as excinfo:
        mark_overdue(chain, at=due + GRACE + 150)
    assert excinfo.value.args_ == (C1, due + GRACE + 150)
    mark_overdue(chain, at=due + GRACE + 151)


def test_a_batch_of_made_up_ids_emits_nothing(chain):
    # finding 11
    receipt = send_at(
        chain, "OUTSIDER", chain.registry.functions.markOverdueBatch([reference_key(f"made-up-{n}") for n in range(5)])
    )
    assert receipt["logs"] == []
    with reverts("CommitmentRegistryUnknownCommitment"):
        mark_overdue(chain, "made-up-0")
