from ledger.identifiers import reference_key
from tests.contracts.helpers import DOC, PAYER, project, reverts

NONE, RECORDED, FULFILLED, OVERDUE, BREACHED, REPAIRED, EXTENDED = range(7)
DAY = 86_400


def record(chain, number="C-1", due_in=30 * DAY, kind=0):
    return chain.senders["APPROVAL_ROLE"].send(
        chain.registry.functions.record(reference_key(number), project(), PAYER, kind, chain.now() + due_in, DOC)
    )


def verifier(chain, name, number="C-1", *args):
    return chain.senders["VERIFIER_ROLE"].send(getattr(chain.registry.functions, name)(reference_key(number), *args))


def status(chain, number="C-1"):
    return chain.registry.functions.commitmentOf(reference_key(number)).call()[5]


def counters(chain):
    recorded, fulfilled, late, overdue, breached, repaired = chain.registry.functions.countersOf(PAYER).call()
    return dict(recorded=recorded, fulfilled=fulfilled, late=late, overdue=overdue, breached=breached, repaired=repaired)


def test_a_commitment_fulfilled_before_its_due_date_is_on_time(chain):
    record(chain)
    receipt = verifier(chain, "fulfil", "C-1", DOC)
    (event,) = chain.registry.events.CommitmentFulfilled().process_receipt(receipt)
    assert event.args.late is False
    assert status(chain) == FULFILLED
    assert counters(chain) == dict(recorded=1, fulfilled=1, late=0, overdue=0, breached=0, repaired=0)


def test_a_commitment_fulfilled_after_its_due_date_is_late(chain):
    record(chain, due_in=DAY)
    chain.travel(2 * DAY)
    receipt = verifier(chain, "fulfil", "C-1", DOC)
    assert chain.registry.events.CommitmentFulfilled().process_receipt(receipt)[0].args.late is True
    assert counters(chain)["late"] == 1


def test_overdue_is_refused_before_the_due_date_and_open_to_anyone_after(chain):
    record(chain, due_in=DAY)
    with reverts("CommitmentRegistryNotYetDue"):
        chain.senders["OUTSIDER"].send(chain.registry.functions.markOverdue(reference_key("C-1")))
    chain.travel(DAY + 60)
    chain.senders["OUTSIDER"].send(chain.registry.functions.markOverdue(reference_key("C-1")))
    assert status(chain) == OVERDUE
    assert counters(chain)["overdue"] == 1


def test_overdue_can_be_marked_in_a_batch_and_an_ineligible_entry_reverts_it(chain):
    for n in range(3):
        record(chain, f"C-{n}", due_in=DAY)
    record(chain, "C-later", due_in=10 * DAY)
    chain.travel(2 * DAY)
    ids = [reference_key(f"C-{n}") for n in range(3)]
    with reverts("CommitmentRegistryNotYetDue"):
        chain.senders["OUTSIDER"].send(chain.registry.functions.markOverdueBatch(ids + [reference_key("C-later")]))
    chain.senders["OUTSIDER"].send(chain.registry.functions.markOverdueBatch(ids))
    assert [status(chain, f"C-{n}") for n in range(3)] == [OVERDUE] * 3
    assert counters(chain)["overdue"] == 3


def test_a_breached_commitment_can_be_repaired_once(chain):
    record(chain, due_in=DAY)
    chain.travel(2 * DAY)
    chain.senders["OUTSIDER"].send(chain.registry.functions.markOverdue(reference_key("C-1")))
    verifier(chain, "breach", "C-1", DOC)
    assert status(chain) == BREACHED
    verifier(chain, "repair", "C-1", DOC)
    assert status(chain) == REPAIRED
    with reverts("CommitmentRegistryInvalidTransition"):
        verifier(chain, "repair", "C-1", DOC)
    assert counters(chain) == dict(recorded=1, fulfilled=0, late=0, overdue=1, breached=1, repaired=1)


def test_an_extension_moves_the_due_date_so_it_is_no_longer_overdue(chain):
    record(chain, due_in=DAY)
    chain.travel(2 * DAY)
    new_due = chain.now() + 10 * DAY
    receipt = verifier(chain, "extend", "C-1", new_due, DOC)
    assert chain.registry.events.CommitmentExtended().process_receipt(receipt)[0].args.newDueAt == new_due
    assert status(chain) == EXTENDED
    with reverts("CommitmentRegistryNotYetDue"):
        chain.senders["OUTSIDER"].send(chain.registry.functions.markOverdue(reference_key("C-1")))
    receipt = verifier(chain, "fulfil", "C-1", DOC)
    assert chain.registry.events.CommitmentFulfilled().process_receipt(receipt)[0].args.late is False


def test_an_extension_to_an_earlier_or_past_date_is_refused(chain):
    record(chain, due_in=10 * DAY)
    with reverts("CommitmentRegistryInvalidDueDate"):
        verifier(chain, "extend", "C-1", chain.now() + DAY, DOC)


def test_recording_validates_kind_due_date_and_uniqueness(chain):
    with reverts("CommitmentRegistryInvalidKind"):
        record(chain, kind=4)
    with reverts("CommitmentRegistryInvalidDueDate"):
        record(chain, due_in=-10)
    record(chain)
    with reverts("CommitmentRegistryAlreadyRecorded"):
        record(chain)
    assert counters(chain)["recorded"] == 1


def test_decisions_on_unknown_or_settled_commitments_are_refused(chain):
    with reverts("CommitmentRegistryUnknownCommitment"):
        verifier(chain, "fulfil", "C-none", DOC)
    record(chain)
    verifier(chain, "fulfil", "C-1", DOC)
    with reverts("CommitmentRegistryInvalidTransition"):
        verifier(chain, "breach", "C-1", DOC)


def test_a_batch_records_every_commitment_and_a_duplicate_reverts_it(chain):
    due = chain.now() + DAY
    batch = [(reference_key(f"C-{n}"), project(), PAYER, n % 4, due, DOC) for n in range(4)]
    chain.senders["APPROVAL_ROLE"].send(chain.registry.functions.recordBatch(batch))
    assert [status(chain, f"C-{n}") for n in range(4)] == [RECORDED] * 4
    with reverts("CommitmentRegistryAlreadyRecorded"):
        chain.senders["APPROVAL_ROLE"].send(chain.registry.functions.recordBatch([batch[0]]))
    assert counters(chain)["recorded"] == 4
