"""Migration from an earlier contract version: a deployment that plans an import leaves the
window open; the admin imports, then seals; the first live write seals it too.

The v2 contracts here are the real ones (their artifacts as shipped before v3, commit c98daf9),
deployed beside v3; what they hold is exported from their views and events, as an operator
would, and imported into v3."""

import json
from pathlib import Path

import pytest
from web3.logs import DISCARD

from ledger.chain.node import Sender
from ledger.core.identifiers import reason_code, reference_key
from ledger.chain.rate_tables import SAMPLE_RATE_TABLE
from tests.contracts.helpers import (
    BREACHED,
    COMMITMENT_FIELDS,
    COUNTER_FIELDS,
    DAY,
    DISTRICT,
    DOC,
    FULFILLED,
    GRACE,
    NO_REASON,
    OVERDUE,
    OVERPAID,
    PAYER,
    RECORDED,
    REPAIRED,
    SKEW,
    VERSION,
    account,
    commitment,
    counters,
    events,
    pay,
    project,
    record,
    reverts,
    send_at,
    unsealed,
)

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil

FIXTURES = Path(__file__).parent / "fixtures"
V2 = {name: json.loads((FIXTURES / f"{name}.v2.json").read_text()) for name in ("FeeLedger", "CommitmentRegistry")}
ADMIN = "DEFAULT_ADMIN_ROLE"
ANNULLED = reason_code("ASSESSMENT_ANNULLED")
CORRECTED = 2  # a second v2 rate table, in effect from the same time as the first
HORIZON = 3650 * DAY


def _v2_contract(chain, admin, name, *args):
    factory = chain.w3.eth.contract(abi=V2[name]["abi"], bytecode=V2[name]["bytecode"])
    address = admin.send(factory.constructor(*args))["contractAddress"]
    return chain.w3.eth.contract(address=address, abi=V2[name]["abi"])


def deploy_v2(chain):
    """The real v2 contracts with a history: two rate tables in effect from the same time; a
    project assessed, reassessed with a due date beyond the horizon from the first assessment,
    paid twice (overpaid), refunded once (under an allowed reason, 10,000 fen still owed back);
    commitments v2 imported from v1 (fulfilled without a decision time, breached without an
    overdue mark, one due far beyond any horizon), fulfilled late, breached, pending evidence,
    and one fulfilled with a fact time before its overdue mark (finding 5, which v2 allowed)."""
    senders = {role: Sender(chain.w3, chain.signers[role]) for role in chain.signers}
    admin = senders[ADMIN]
    fee = _v2_contract(chain, admin, "FeeLedger", 0, admin.account.address)
    registry = _v2_contract(chain, admin, "CommitmentRegistry", 0, admin.account.address, GRACE)
    for contract, roles in (
        (fee, ("ASSESSOR_ROLE", "TAX_ROLE", "PAUSER_ROLE")),
        (registry, ("APPROVAL_ROLE", "VERIFIER_ROLE", "PAUSER_ROLE")),
    ):
        for role in roles:
            admin.send(contract.functions.grantRole(contract.functions[role]().call(), chain.signers[role].address))
    table = SAMPLE_RATE_TABLE
    for version, rates in ((table.version, table.district_rates()), (CORRECTED, [(DISTRICT, 210_000)])):
        senders["ASSESSOR_ROLE"].send(fee.functions.publishRateTable(version, table.effective_from, DOC, rates))
    now = chain.now()
    senders["ASSESSOR_ROLE"].send(
        fee.functions.assess(project(), PAYER, DISTRICT, 10_000, VERSION, now + 30 * DAY, DOC)
    )
    chain.travel(40 * DAY)
    senders["ASSESSOR_ROLE"].send(
        fee.functions.assess(  # v2 re-dated the fee: up to the horizon from now
            project(), PAYER, DISTRICT, 10_000, VERSION, chain.now() + HORIZON, DOC
        )
    )
    admin.send(fee.functions.setRefundReasonAllowed(ANNULLED, True))
    tax = senders["TAX_ROLE"]
    due = fee.functions.feeAccount(project()).call()[8]
    now = chain.now()
    tax.send(fee.functions.recordPayment(project(), reference_key("V2-A"), due, now))
    tax.send(fee.functions.recordPayment(project(), reference_key("V2-B"), 50_000, now))
    tax.send(fee.functions.recordRefund(project(), reference_key("R2-A"), 40_000, now, ANNULLED))

    approval, verifier = senders["APPROVAL_ROLE"], senders["VERIFIER_ROLE"]
    signed = chain.now()
    v1_signed = signed - 400 * DAY
    admin.send(
        registry.functions.importCommitments(
            [  # as v2 took them from v1: no decision or mark time
                (reference_key(number), project(), PAYER, 1, status, late, 0, v1_signed, due, DOC)
                for number, status, late, due in (
                    ("C-v1-fulfilled", FULFILLED, False, v1_signed + DAY),
                    ("C-v1-breached", BREACHED, False, v1_signed + DAY),
                    ("C-v1-far", RECORDED, False, 2**63),
                )
            ]
        )
    )
    for number in ("C-late", "C-breached", "C-pending", "C-backdated"):
        approval.send(registry.functions.record(reference_key(number), project(), PAYER, 1, signed, signed + DAY, DOC))
    approval.send(registry.functions.submitEvidence(reference_key("C-pending"), DOC, signed + 10))
    chain.travel(DAY + GRACE + 10)
    verifier.send(registry.functions.fulfil(reference_key("C-late"), DOC, chain.now()))
    senders[ADMIN].send(registry.functions.markOverdue(reference_key("C-breached")))
    verifier.send(registry.functions.breach(reference_key("C-breached"), DOC))
    senders[ADMIN].send(registry.functions.markOverdue(reference_key("C-backdated")))
    verifier.send(registry.functions.fulfil(reference_key("C-backdated"), DOC, signed + 20))  # before the mark
    return fee, registry


def _events(chain, contract, names):
    """Every event of `names` that `contract` emitted, oldest first, with its block time."""
    found = []
    for log in chain.w3.eth.get_logs({"address": contract.address, "fromBlock": 0}):
        receipt = chain.w3.eth.get_transaction_receipt(log["transactionHash"])
        for name in names:
            for event in getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD):
                if event.logIndex == log["logIndex"]:
                    found.append((name, event.args, chain.w3.eth.get_block(log["blockNumber"])["timestamp"]))
    return found


def export_v2(chain, fee, registry) -> dict:
    """What v2's views and events say, as v3's import calls take it."""
    (
        payer,
        district,
        version,
        revision,
        relief,
        _status,
        base,
        adjustment,
        _due,
        paid,
        refunded,
        _owed,
        assessed_at,
        due_at,
    ) = fee.functions.feeAccount(project()).call()
    fee_events = _events(chain, fee, ("PaymentRecorded", "RefundRecorded"))
    registry_events = _events(chain, registry, ("CommitmentImported", "CommitmentRecorded", "CommitmentMarkedOverdue"))
    recorded = {
        e.commitment: (e.termsHash, at)
        for name, e, at in registry_events
        if name in ("CommitmentImported", "CommitmentRecorded")
    }
    marked = {e.commitment: at for name, e, at in registry_events if name == "CommitmentMarkedOverdue"}  # the latest
    commitments = []
    for c, (terms, recorded_at) in recorded.items():
        (c_project, enterprise, kind, status, late, extensions, signed, due, evidence, decided) = (
            registry.functions.commitmentOf(c).call()
        )
        commitments.append(
            (
                c,
                c_project,
                enterprise,
                kind,
                status,
                late,
                extensions,
                signed,
                due,
                terms,
                recorded_at,
                marked.get(c, 0),
                evidence,
                decided,
            )
        )
    tables = {
        e.version: (e.effectiveFrom, e.basisHash, []) for name, e, _ in _events(chain, fee, ("RateTablePublished",))
    }
    for _, e, _ in _events(chain, fee, ("RatePublished",)):
        tables[e.version][2].append((e.district, e.rateFenPerM2))
    return {
        # republished in order of effect (ties in v2's order of publication)
        "rate_tables": sorted(((v, *t) for v, t in tables.items()), key=lambda t: t[1]),
        "accounts": [
            (
                project(),
                payer,
                district,
                version,
                revision,
                relief,
                base,
                adjustment,
                paid,
                refunded,
                assessed_at,
                due_at,
            )
        ],
        "vouchers": [
            (e.project, e.voucher, e.amountFen, e.paidAt) for name, e, _ in fee_events if name == "PaymentRecorded"
        ],
        "refunds": [
            (e.project, e.refundRef, e.amountFen, e.refundedAt, e.reason)
            for name, e, _ in fee_events
            if name == "RefundRecorded"
        ],
        "commitments": commitments,
        "counters": [(PAYER, tuple(registry.functions.countersOf(PAYER).call()))],
    }


def import_all(v3, state, *, seal=True) -> dict:
    fee, registry = v3.fee.functions, v3.registry.functions
    published = {e.version for _, e, _ in _events(v3, v3.fee, ("RateTablePublished",))}
    for version, effective_from, basis, rates in state["rate_tables"]:
        if version not in published:  # the deploy published the sample table already
            send_at(v3, "ASSESSOR_ROLE", fee.publishRateTable(version, effective_from, basis, rates))
    receipts = {
        "accounts": send_at(v3, ADMIN, fee.importAccounts(state["accounts"])),
        "vouchers": send_at(v3, ADMIN, fee.importVouchers(state["vouchers"])),
        "refunds": send_at(v3, ADMIN, fee.importRefunds(state["refunds"])),
        "commitments": send_at(v3, ADMIN, registry.importCommitments(state["commitments"])),
        "counters": send_at(v3, ADMIN, registry.importCounters(state["counters"])),
    }
    if seal:
        send_at(v3, ADMIN, fee.sealImport())
        send_at(v3, ADMIN, registry.sealImport())
    return receipts


def test_a_v2_deployment_carries_over_to_v3_in_full(chain):
    fee2, registry2 = deploy_v2(chain)
    v3 = unsealed(chain)
    state = export_v2(chain, fee2, registry2)
    receipts = import_all(v3, state)

    v2_account = fee2.functions.feeAccount(project()).call()
    imported = account(v3, project())
    assert [imported[k] for k in list(imported)[:14]] == list(v2_account)  # every v2 field, in v2's order
    assert imported["status"] == OVERPAID and imported["overRefundedFen"] == 0
    (event,) = events(v3.fee, "AccountImported", receipts["accounts"])
    assert event["dueFen"] == v2_account[8] and event["paidFen"] == v2_account[9]  # finding 10: dueFen carried
    assert events(v3.fee, "RefundOwedChanged", receipts["accounts"]) == [
        {"project": project(), "owedFen": v2_account[11]}
    ]
    assert [e["voucher"] for e in events(v3.fee, "VoucherImported", receipts["vouchers"])] == [
        reference_key("V2-A"),
        reference_key("V2-B"),
    ]
    assert [e["refundRef"] for e in events(v3.fee, "RefundImported", receipts["refunds"])] == [reference_key("R2-A")]

    for c in state["commitments"]:
        v2_view = registry2.functions.commitmentOf(c[0]).call()
        v3_view = v3.registry.functions.commitmentOf(c[0]).call()
        assert list(v3_view[:10]) == list(v2_view) and (v3_view[10], v3_view[11]) == (c[10], c[11])
    assert [e["status"] for e in events(v3.registry, "CommitmentImported", receipts["commitments"])] == [
        FULFILLED,
        BREACHED,
        RECORDED,
        FULFILLED,
        BREACHED,
        RECORDED,
        FULFILLED,
    ]
    assert counters(v3) == dict(zip(COUNTER_FIELDS, registry2.functions.countersOf(PAYER).call()))
    assert counters(v3) == dict(recorded=4, fulfilled=2, fulfilledLate=1, overdue=2, breached=1, repaired=0)

    # review D2: what v2 really holds is carried as it stands
    assert v2_account[13] > v2_account[12] + HORIZON  # the reassessment's due date, beyond the first's horizon
    backdated = commitment(v3, "C-backdated")
    assert backdated["decidedAt"] < backdated["overdueAt"] and not backdated["fulfilledLate"]
    assert [
        commitment(v3, n)[k]
        for n, k in (("C-v1-fulfilled", "decidedAt"), ("C-v1-fulfilled", "overdueAt"), ("C-v1-breached", "overdueAt"))
    ] == [0, 0, 0]
    assert commitment(v3, "C-v1-far")["dueAt"] == 2**63
    assert v3.fee.functions.rateOf(CORRECTED, DISTRICT).call() == [210_000, SAMPLE_RATE_TABLE.effective_from]
    receipt = send_at(v3, "OUTSIDER", v3.registry.functions.markOverdueBatch([reference_key("C-v1-far")]))
    assert [e["commitment"] for e in events(v3.registry, "CommitmentOverdueSkipped", receipt)] == [
        reference_key("C-v1-far")
    ]  # far, not a panic

    # the tax gateway retries a v2 voucher on v3: identical is a no-op, anything else is refused
    _, voucher, amount, paid_at = state["vouchers"][0]
    receipt = send_at(v3, "TAX_ROLE", v3.fee.functions.recordPayment(project(), voucher, amount, paid_at))
    assert events(v3.fee, "PaymentRecorded", receipt) == []
    with reverts("FeeLedgerVoucherConflict"):
        pay(v3, project(), "V2-A", 1)
    with reverts("FeeLedgerRefundConflict"):
        send_at(v3, "TAX_ROLE", v3.fee.functions.recordRefund(project(), reference_key("R2-A"), 1, v3.now(), NO_REASON))
    assert account(v3, project())["paidFen"] == v2_account[9]

    # the migrated commitments go on: pending evidence holds the clock, the breach is repaired after its mark
    with reverts("CommitmentRegistryEvidencePending"):
        send_at(v3, "OUTSIDER", v3.registry.functions.markOverdue(reference_key("C-pending")))
    overdue_at = commitment(v3, "C-breached")["overdueAt"]
    with reverts("CommitmentRegistryInvalidTime"):
        send_at(v3, "VERIFIER_ROLE", v3.registry.functions.repair(reference_key("C-breached"), DOC, overdue_at - 1))
    send_at(v3, "VERIFIER_ROLE", v3.registry.functions.repair(reference_key("C-breached"), DOC, overdue_at))
    assert commitment(v3, "C-breached")["status"] == REPAIRED and counters(v3)["repaired"] == 1


def test_a_deployment_with_no_import_planned_is_sealed_at_once(chain):
    assert chain.fee.functions.importSealed().call() and chain.registry.functions.importSealed().call()


def test_nothing_can_be_imported_after_the_seal(chain):
    v3 = unsealed(chain)
    now = v3.now()
    send_at(v3, ADMIN, v3.fee.functions.sealImport())
    send_at(v3, ADMIN, v3.registry.functions.sealImport())
    assert v3.fee.functions.importSealed().call() and v3.registry.functions.importSealed().call()
    calls = [
        ("FeeLedgerImportSealed", v3.fee.functions.importVouchers([(project(), reference_key("V"), 1, now)])),
        ("FeeLedgerImportSealed", v3.fee.functions.importRefunds([(project(), reference_key("R"), 1, now, NO_REASON)])),
        (
            "FeeLedgerImportSealed",
            v3.fee.functions.importAccounts([(project(), PAYER, DISTRICT, VERSION, 1, 0, 1, 0, 0, 0, now, now + DAY)]),
        ),
        ("FeeLedgerImportSealed", v3.fee.functions.sealImport()),
        ("CommitmentRegistryImportSealed", v3.registry.functions.importCounters([(PAYER, (1, 0, 0, 0, 0, 0))])),
        (
            "CommitmentRegistryImportSealed",
            v3.registry.functions.importCommitments(
                [(reference_key("C"), project(), PAYER, 0, 1, False, 0, now, now + DAY, DOC, now, 0, 0, 0)]
            ),
        ),
        ("CommitmentRegistryImportSealed", v3.registry.functions.sealImport()),
    ]
    for error, call in calls:
        with reverts(error):
            send_at(v3, ADMIN, call)


def test_the_first_live_write_seals_the_import(chain):
    # finding 7: no import beside live records (a voucher planted ahead of the real payment, a breach)
    v3 = unsealed(chain)
    now = v3.now()
    assert not v3.fee.functions.importSealed().call()
    send_at(
        v3,
        ADMIN,
        v3.fee.functions.importAccounts(
            [(project(), PAYER, DISTRICT, VERSION, 1, 0, 1_000, 0, 0, 0, now - DAY, now + DAY)]
        ),
    )
    receipt = pay(v3, project(), "V-live", 100)
    assert events(v3.fee, "ImportSealed", receipt) == [{}]
    with reverts("FeeLedgerImportSealed"):
        send_at(v3, ADMIN, v3.fee.functions.importVouchers([(project(), reference_key("V-later"), 100, v3.now())]))
    receipt = record(v3, "C-live")
    assert events(v3.registry, "ImportSealed", receipt) == [{}]
    with reverts("CommitmentRegistryImportSealed"):
        send_at(
            v3,
            ADMIN,
            v3.registry.functions.importCommitments(
                [
                    (
                        reference_key("C-planted"),
                        project(),
                        PAYER,
                        0,
                        BREACHED,
                        False,
                        0,
                        now - 10 * DAY,
                        now - 9 * DAY,
                        DOC,
                        now - 10 * DAY,
                        now - DAY,
                        0,
                        0,
                    )
                ]
            ),
        )


def test_an_imported_voucher_or_refund_already_recorded_is_refused(chain):
    v3 = unsealed(chain)
    now = v3.now()
    send_at(
        v3,
        ADMIN,
        v3.fee.functions.importAccounts(
            [(project(), PAYER, DISTRICT, VERSION, 1, 0, 1_000, 0, 200, 10, now - DAY, now + DAY)]
        ),
    )
    voucher = (project(), reference_key("V-1"), 200, now)
    send_at(v3, ADMIN, v3.fee.functions.importVouchers([voucher]))
    with reverts("FeeLedgerVoucherConflict"):
        send_at(v3, ADMIN, v3.fee.functions.importVouchers([voucher]))
    refund = (project(), reference_key("R-1"), 10, now, NO_REASON)
    with reverts("FeeLedgerRefundConflict"):
        send_at(v3, ADMIN, v3.fee.functions.importRefunds([refund, refund]))


def test_imported_vouchers_and_refunds_add_up_to_no_more_than_the_imported_account(chain):
    # review D3: a planted voucher beyond the imported paidFen would make a real payment a replay
    v3 = unsealed(chain)
    now = v3.now()
    send_at(
        v3,
        ADMIN,
        v3.fee.functions.importAccounts(
            [(project(), PAYER, DISTRICT, VERSION, 1, 0, 1_000, 0, 200, 10, now - DAY, now + DAY)]
        ),
    )
    send_at(v3, ADMIN, v3.fee.functions.importVouchers([(project(), reference_key("V-1"), 150, now)]))
    send_at(v3, ADMIN, v3.fee.functions.importVouchers([(project(), reference_key("V-2"), 50, now)]))
    with reverts("FeeLedgerImportExceedsAccount") as excinfo:
        send_at(v3, ADMIN, v3.fee.functions.importVouchers([(project(), reference_key("V-3"), 1, now)]))
    assert excinfo.value.args_ == (project(), 200, 201)
    with reverts("FeeLedgerImportExceedsAccount") as excinfo:
        send_at(
            v3,
            ADMIN,
            v3.fee.functions.importRefunds(
                [
                    (project(), reference_key("R-1"), 6, now, NO_REASON),
                    (project(), reference_key("R-2"), 5, now, NO_REASON),
                ]
            ),
        )
    assert excinfo.value.args_ == (project(), 10, 11)
    send_at(v3, ADMIN, v3.fee.functions.importRefunds([(project(), reference_key("R-1"), 10, now, NO_REASON)]))
    assert not v3.fee.functions.isVoucherRecorded(reference_key("V-3")).call()


def test_a_breach_during_the_window_cannot_be_overwritten_by_import_counters(chain):
    # finding 8: on v2 the counters imported after this breach replaced its count
    v3 = unsealed(chain)
    now = v3.now()
    overdue = (
        reference_key("C-1"),
        project(),
        PAYER,
        0,
        OVERDUE,
        False,
        0,
        now - 100 * DAY,
        now - 50 * DAY,
        DOC,
        now - 100 * DAY,
        now - 40 * DAY,
        0,
        0,
    )
    send_at(v3, ADMIN, v3.registry.functions.importCommitments([overdue]))
    send_at(v3, "VERIFIER_ROLE", v3.registry.functions.breach(reference_key("C-1"), DOC))
    with reverts("CommitmentRegistryImportSealed"):
        send_at(v3, ADMIN, v3.registry.functions.importCounters([(PAYER, (3, 1, 1, 1, 0, 0))]))
    assert counters(v3)["breached"] == 1


def test_imported_counters_are_checked_in_full_and_never_overwrite(chain):
    v3 = unsealed(chain)
    for bad in ((0, 0, 0, 0, 0, 0), (1, 2, 0, 0, 0, 0), (1, 1, 2, 0, 0, 0), (1, 0, 0, 1, 2, 0), (1, 0, 0, 1, 1, 2)):
        with reverts("CommitmentRegistryInvalidCounters"):
            send_at(v3, ADMIN, v3.registry.functions.importCounters([(PAYER, bad)]))
    receipt = send_at(v3, ADMIN, v3.registry.functions.importCounters([(PAYER, (3, 1, 1, 2, 1, 0))]))
    assert events(v3.registry, "CountersImported", receipt) == [
        {
            "enterprise": PAYER,
            "recorded": 3,
            "fulfilled": 1,
            "fulfilledLate": 1,
            "overdue": 2,
            "breached": 1,
            "repaired": 0,
        }
    ]
    with reverts("CommitmentRegistryCountersExist"):
        send_at(v3, ADMIN, v3.registry.functions.importCounters([(PAYER, (1, 0, 0, 0, 0, 0))]))
    record(v3, "C-new")  # v3 counting continues from the imported counters
    assert counters(v3)["recorded"] == 4


def test_imported_accounts_are_bounded_where_v3_needs_it_not_by_its_newer_rules(chain):
    # finding 9; review D2: v2 held due dates v3 would not set, and tables v1 kept off chain
    v3 = unsealed(chain)
    now = v3.now()

    def imported(**change):
        values = dict(
            project=project(),
            payer=PAYER,
            district=DISTRICT,
            version=VERSION,
            revision=1,
            relief=0,
            base=1_000,
            adjustment=0,
            paid=0,
            refunded=0,
            assessed_at=now - DAY,
            due_at=now + DAY,
        )
        values.update(change)
        return v3.fee.functions.importAccounts([tuple(values.values())])

    for change, error in (
        ({"project": b"\0" * 32}, "FeeLedgerZeroIdentifier"),
        ({"relief": 10_001}, "FeeLedgerInvalidRelief"),
        ({"revision": 0}, "FeeLedgerNotAssessed"),
        ({"assessed_at": 0}, "FeeLedgerInvalidTime"),
        ({"assessed_at": now + 100 + SKEW}, "FeeLedgerInvalidTime"),
        ({"due_at": 0}, "FeeLedgerInvalidDueDate"),
        ({"due_at": 2**32}, "FeeLedgerInvalidDueDate"),
        ({"paid": 1, "refunded": 2}, "FeeLedgerRefundTooLarge"),
        ({"base": 2**64 - 1, "adjustment": 1}, "FeeLedgerAmountTooLarge"),
    ):
        with reverts(error):
            send_at(v3, ADMIN, imported(**change))
    for n, change in enumerate(({"due_at": now - DAY + 1}, {"due_at": now + 2 * HORIZON}, {"district": 410999})):
        send_at(v3, ADMIN, imported(project=project(100 + n), **change))  # carried as v2 held them
    send_at(v3, ADMIN, imported(relief=10_000, revision=2**32 - 1))
    assert account(v3, project())["dueFen"] == 0
    with reverts("FeeLedgerAccountExists"):
        send_at(v3, ADMIN, imported())
    for voucher, error in (
        ((project(1), reference_key("V"), 1, now), "FeeLedgerNotAssessed"),
        ((project(), reference_key("V"), 0, now), "FeeLedgerZeroAmount"),
        ((project(), reference_key("V"), 1, now - DAY - 1), "FeeLedgerInvalidTime"),
        ((project(), reference_key("V"), 1, now + 100 + SKEW), "FeeLedgerInvalidTime"),
    ):
        with reverts(error):
            send_at(v3, ADMIN, v3.fee.functions.importVouchers([voucher]))
    with reverts("FeeLedgerRevisionOverflow"):  # a revision at the maximum: a named error, not a panic
        send_at(v3, "ASSESSOR_ROLE", v3.fee.functions.assess(project(), PAYER, DISTRICT, 1, VERSION, v3.now(), 0, DOC))


def test_imported_commitments_are_bounded_where_v3_needs_it_and_consistent(chain):
    # finding 9: a due date near 2^64 made every overdue batch panic on v2; review D2: what v2 held is carried
    v3 = unsealed(chain)
    now = v3.now()
    fields = (
        "commitment",
        "project",
        "enterprise",
        "kind",
        "status",
        "late",
        "extensions",
        "signed",
        "due",
        "terms",
        "recorded",
        "overdue",
        "evidence",
        "decided",
    )

    def imported(number="C-1", **change):
        values = dict(
            zip(
                fields,
                (
                    reference_key(number),
                    project(),
                    PAYER,
                    0,
                    RECORDED,
                    False,
                    0,
                    now - 10 * DAY,
                    now - 9 * DAY,
                    DOC,
                    now - 10 * DAY,
                    0,
                    0,
                    0,
                ),
            )
        )
        values.update(change)
        return v3.registry.functions.importCommitments([tuple(values.values())])

    for change, error in (
        ({"due": 2**64 - 1}, "CommitmentRegistryInvalidDueDate"),
        ({"due": 2**64 - 1 - 90 * DAY + 1}, "CommitmentRegistryInvalidDueDate"),  # the clock adds the grace
        ({"signed": 0}, "CommitmentRegistryInvalidTime"),
        ({"recorded": 0}, "CommitmentRegistryInvalidTime"),
        ({"recorded": now + 100}, "CommitmentRegistryInvalidTime"),
        ({"signed": now - 10 * DAY + SKEW + 1}, "CommitmentRegistryInvalidTime"),
        ({"extensions": 4}, "CommitmentRegistryTooManyExtensions"),
        ({"kind": 4}, "CommitmentRegistryInvalidKind"),
        ({"status": 0}, "CommitmentRegistryInvalidTransition"),
        ({"status": 7}, "CommitmentRegistryInvalidTransition"),
        ({"late": True}, "CommitmentRegistryInvalidImport"),
        ({"decided": now - DAY}, "CommitmentRegistryInvalidImport"),
        ({"status": BREACHED, "overdue": now - DAY, "evidence": now - DAY}, "CommitmentRegistryInvalidImport"),
        ({"status": 6}, "CommitmentRegistryInvalidImport"),  # Extended without an extension
        ({"overdue": now - DAY}, "CommitmentRegistryInvalidImport"),  # Recorded never marked
        ({"status": OVERDUE, "overdue": now - 10 * DAY - 1}, "CommitmentRegistryInvalidTime"),  # before recorded
        ({"status": FULFILLED, "decided": now - 10 * DAY - 1}, "CommitmentRegistryInvalidTime"),  # before signed
        ({"evidence": now + 100 + SKEW}, "CommitmentRegistryInvalidTime"),
    ):
        with reverts(error):
            send_at(v3, ADMIN, imported(**change))
    for n, change in enumerate(
        (  # as v2 can hold them
            {"due": now - 10 * DAY},
            {"due": 2**64 - 1 - 90 * DAY},  # imported unbounded from v1
            {"status": FULFILLED},
            {"status": OVERDUE},
            {"status": REPAIRED},  # from v1: no decision or mark time
            {"status": OVERDUE, "overdue": now - DAY, "evidence": now - 2 * DAY},  # finding 5: evidence before the mark
            {"status": FULFILLED, "overdue": now - DAY, "decided": now - 2 * DAY},  # and a fulfilment
        )
    ):
        send_at(v3, ADMIN, imported(f"C-v2-{n}", **change))
    receipt = send_at(v3, ADMIN, imported("C-1", status=OVERDUE, overdue=now - DAY, evidence=now - DAY + 5))
    assert dict(zip(COMMITMENT_FIELDS, v3.registry.functions.commitmentOf(reference_key("C-1")).call())) == {
        "project": project(),
        "enterprise": PAYER,
        "kind": 0,
        "status": OVERDUE,
        "fulfilledLate": False,
        "extensions": 0,
        "signedAt": now - 10 * DAY,
        "dueAt": now - 9 * DAY,
        "evidenceSubmittedAt": now - DAY + 5,
        "decidedAt": 0,
        "recordedAt": now - 10 * DAY,
        "overdueAt": now - DAY,
    }
    assert events(v3.registry, "CommitmentImported", receipt)[0]["overdueAt"] == now - DAY
    with reverts("CommitmentRegistryAlreadyRecorded"):
        send_at(v3, ADMIN, imported("C-1"))


def test_counters_imported_at_the_maximum_give_a_named_error_not_a_panic(chain):
    # finding 9
    v3 = unsealed(chain)
    top = 2**32 - 1
    send_at(v3, ADMIN, v3.registry.functions.importCounters([(PAYER, (top, top, top, top, top, top))]))
    with reverts("CommitmentRegistryCounterOverflow") as excinfo:
        record(v3, "C-1")
    assert excinfo.value.args_ == (PAYER,)


def test_no_one_without_a_role_can_seal_the_import_by_marking_overdue(chain):
    # review D1: made-up ids, or an imported commitment already past its grace, sealed the window
    v3 = unsealed(chain)
    now = v3.now()
    past_grace = (
        reference_key("C-1"),
        project(),
        PAYER,
        0,
        RECORDED,
        False,
        0,
        now - 100 * DAY,
        now - 50 * DAY,
        DOC,
        now - 100 * DAY,
        0,
        0,
        0,
    )
    send_at(v3, ADMIN, v3.registry.functions.importCommitments([past_grace]))
    for call in (
        v3.registry.functions.markOverdueBatch([reference_key(f"made-up-{n}") for n in range(3)]),
        v3.registry.functions.markOverdueBatch([reference_key("C-1")]),
        v3.registry.functions.markOverdue(reference_key("C-1")),
    ):
        with reverts("CommitmentRegistryImportOpen"):
            send_at(v3, "OUTSIDER", call)
    assert not v3.registry.functions.importSealed().call()
    assert commitment(v3, "C-1")["status"] == RECORDED
    send_at(v3, ADMIN, v3.registry.functions.importCounters([(PAYER, (1, 0, 0, 0, 0, 0))]))  # the migration goes on
    receipt = send_at(v3, ADMIN, v3.registry.functions.sealImport())
    assert events(v3.registry, "ImportSealed", receipt) == [{}]
    send_at(v3, "OUTSIDER", v3.registry.functions.markOverdue(reference_key("C-1")))
    assert commitment(v3, "C-1")["status"] == OVERDUE and counters(v3)["overdue"] == 1
