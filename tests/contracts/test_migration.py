"""Migration from an earlier contract version: the admin imports, then seals for good.

The v1 FeeLedger here is the real one (its artifact as shipped before v2), deployed beside v2."""

import json
from pathlib import Path

import pytest
from web3.logs import DISCARD

from ledger.chain import Sender
from ledger.identifiers import reference_key
from tests.contracts.helpers import (
    DAY, DISTRICT, DOC, NO_REASON, OVERPAID, PAYER, account, commitment, counters, events, pay, project, record,
    reverts, send_at,
)

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil

V1_ARTIFACT = json.loads((Path(__file__).parent / "fixtures" / "FeeLedger.v1.json").read_text())


def deploy_v1(chain):
    """The v1 FeeLedger with a project assessed, paid twice and refunded once."""
    admin = Sender(chain.w3, chain.signers["DEFAULT_ADMIN_ROLE"])
    factory = chain.w3.eth.contract(abi=V1_ARTIFACT["abi"], bytecode=V1_ARTIFACT["bytecode"])
    address = admin.send(factory.constructor(admin.account.address))["contractAddress"]
    v1 = chain.w3.eth.contract(address=address, abi=V1_ARTIFACT["abi"])
    for role in ("ASSESSOR_ROLE", "TAX_ROLE"):
        admin.send(v1.functions.grantRole(v1.functions[role]().call(), chain.signers[role].address))
    assessor, tax = Sender(chain.w3, chain.signers["ASSESSOR_ROLE"]), Sender(chain.w3, chain.signers["TAX_ROLE"])
    assessor.send(v1.functions.assess(project(), PAYER, 10_000, 3_000, 1, DOC))  # 300,000 fen
    now = chain.now()
    tax.send(v1.functions.recordPayment(project(), reference_key("V1-A"), 200_000, now))
    tax.send(v1.functions.recordPayment(project(), reference_key("V1-B"), 150_000, now))
    tax.send(v1.functions.recordRefund(project(), reference_key("R1-A"), 40_000, now))
    return v1


def export_v1(chain, v1) -> dict:
    """What v1's events say, as v2's import calls take it."""
    logs = chain.w3.eth.get_logs({"address": v1.address, "fromBlock": 0})
    receipts = {log["transactionHash"] for log in logs}
    by_event: dict[str, list] = {}
    for tx in sorted(receipts, key=lambda h: chain.w3.eth.get_transaction(h)["blockNumber"]):
        receipt = chain.w3.eth.get_transaction_receipt(tx)
        for name in ("FeeAssessed", "PaymentRecorded", "RefundRecorded"):
            by_event.setdefault(name, []).extend(e.args for e in getattr(v1.events, name)().process_receipt(receipt, errors=DISCARD))
    view = v1.functions.feeAccount(project()).call()  # payer, due, paid, refunded, revision, status
    assessed = by_event["FeeAssessed"][-1]
    first_block = chain.w3.eth.get_block(min(chain.w3.eth.get_transaction(t)["blockNumber"] for t in receipts))
    return {
        "accounts": [(project(), view[0], DISTRICT, assessed.rateTableVersion, view[4], 0, assessed.amountFen, 0,
                      view[2], view[3], first_block["timestamp"], chain.now() + 30 * DAY)],
        "vouchers": [(e.project, e.voucher, e.amountFen, e.paidAt) for e in by_event["PaymentRecorded"]],
        "refunds": [(e.project, e.refundRef, e.amountFen, e.refundedAt, NO_REASON) for e in by_event["RefundRecorded"]],
    }


def import_all(chain, state):
    admin = "DEFAULT_ADMIN_ROLE"
    receipts = [send_at(chain, admin, chain.fee.functions.importAccounts(state["accounts"])),
                send_at(chain, admin, chain.fee.functions.importVouchers(state["vouchers"])),
                send_at(chain, admin, chain.fee.functions.importRefunds(state["refunds"]))]
    send_at(chain, admin, chain.fee.functions.sealImport())
    return receipts


def test_a_v1_voucher_is_refused_on_v2_after_import(chain):
    v1 = deploy_v1(chain)
    state = export_v1(chain, v1)
    accounts, vouchers, refunds = import_all(chain, state)
    assert events(chain.fee, "AccountImported", accounts)[0]["paidFen"] == 350_000
    assert [e["voucher"] for e in events(chain.fee, "VoucherImported", vouchers)] == [reference_key("V1-A"), reference_key("V1-B")]
    assert len(events(chain.fee, "RefundImported", refunds)) == 1
    imported = account(chain, project())
    assert (imported["dueFen"], imported["paidFen"], imported["refundedFen"]) == (300_000, 350_000, 40_000)
    assert imported["refundOwedFen"] == 10_000 and imported["status"] == OVERPAID
    assert events(chain.fee, "RefundOwedChanged", accounts) == [{"project": project(), "owedFen": 10_000}]
    # the tax gateway retries V1-A on v2: identical is a no-op, anything else is refused; never counted twice
    _, voucher, amount, paid_at = state["vouchers"][0]
    receipt = send_at(chain, "TAX_ROLE", chain.fee.functions.recordPayment(project(), voucher, amount, paid_at))
    assert events(chain.fee, "PaymentRecorded", receipt) == []
    with reverts("FeeLedgerVoucherConflict"):
        pay(chain, project(), "V1-A", 1)
    with reverts("FeeLedgerRefundConflict"):
        send_at(chain, "TAX_ROLE", chain.fee.functions.recordRefund(project(), reference_key("R1-A"), 1, chain.now(), NO_REASON))
    assert account(chain, project())["paidFen"] == 350_000


def test_nothing_can_be_imported_after_the_seal(chain):
    send_at(chain, "DEFAULT_ADMIN_ROLE", chain.fee.functions.sealImport())
    send_at(chain, "DEFAULT_ADMIN_ROLE", chain.registry.functions.sealImport())
    assert chain.fee.functions.importSealed().call() and chain.registry.functions.importSealed().call()
    calls = [
        (chain.fee, "FeeLedgerImportSealed", chain.fee.functions.importVouchers([(project(), reference_key("V"), 1, 1)])),
        (chain.fee, "FeeLedgerImportSealed", chain.fee.functions.importRefunds([(project(), reference_key("R"), 1, 1, NO_REASON)])),
        (chain.fee, "FeeLedgerImportSealed", chain.fee.functions.importAccounts(
            [(project(), PAYER, DISTRICT, 1, 1, 0, 1, 0, 0, 0, 1, 1)])),
        (chain.fee, "FeeLedgerImportSealed", chain.fee.functions.sealImport()),
        (chain.registry, "CommitmentRegistryImportSealed", chain.registry.functions.importCounters([(PAYER, (1, 0, 0, 0, 0, 0))])),
        (chain.registry, "CommitmentRegistryImportSealed", chain.registry.functions.importCommitments(
            [(reference_key("C"), project(), PAYER, 0, 1, False, 0, 1, 1 + DAY, DOC)])),
        (chain.registry, "CommitmentRegistryImportSealed", chain.registry.functions.sealImport()),
    ]
    for _, error, call in calls:
        with reverts(error):
            send_at(chain, "DEFAULT_ADMIN_ROLE", call)


def test_imported_accounts_are_checked(chain):
    now = chain.now()

    def imported(**change):
        values = dict(project=project(), payer=PAYER, district=DISTRICT, version=1, revision=1, relief=0, base=1_000,
                      adjustment=0, paid=0, refunded=0, assessed_at=now - DAY, due_at=now + DAY)
        values.update(change)
        return chain.fee.functions.importAccounts([tuple(values.values())])

    for change, error in (({"project": b"\0" * 32}, "FeeLedgerZeroIdentifier"), ({"relief": 10_001}, "FeeLedgerInvalidRelief"),
                          ({"assessed_at": 0}, "FeeLedgerInvalidTime"), ({"assessed_at": now + 100}, "FeeLedgerInvalidTime"),
                          ({"due_at": 2**32}, "FeeLedgerInvalidDueDate"), ({"paid": 1, "refunded": 2}, "FeeLedgerRefundTooLarge")):
        with reverts(error):
            send_at(chain, "DEFAULT_ADMIN_ROLE", imported(**change))
    send_at(chain, "DEFAULT_ADMIN_ROLE", imported(relief=10_000))
    assert account(chain, project())["dueFen"] == 0
    with reverts("FeeLedgerAccountExists"):
        send_at(chain, "DEFAULT_ADMIN_ROLE", imported())
    pay(chain, project(), "V-1", 1)
    with reverts("FeeLedgerVoucherConflict"):
        send_at(chain, "DEFAULT_ADMIN_ROLE", chain.fee.functions.importVouchers([(project(), reference_key("V-1"), 1, 1)]))


def test_imported_commitments_and_counters_carry_over_and_are_checked(chain):
    now = chain.now()
    entry = (reference_key("C-1"), project(), PAYER, 0, 3, False, 1, now - 100 * DAY, now - 50 * DAY, DOC)
    receipt = send_at(chain, "DEFAULT_ADMIN_ROLE", chain.registry.functions.importCommitments([entry]))
    assert events(chain.registry, "CommitmentImported", receipt) == [{
        "commitment": reference_key("C-1"), "project": project(), "enterprise": PAYER, "kind": 0, "status": 3,
        "fulfilledLate": False, "extensions": 1, "signedAt": now - 100 * DAY, "dueAt": now - 50 * DAY, "termsHash": DOC}]
    assert commitment(chain)["status"] == 3  # overdue, as on v1: it can be breached here
    send_at(chain, "VERIFIER_ROLE", chain.registry.functions.breach(reference_key("C-1"), DOC))
    with reverts("CommitmentRegistryAlreadyRecorded"):
        send_at(chain, "DEFAULT_ADMIN_ROLE", chain.registry.functions.importCommitments([entry]))
    with reverts("CommitmentRegistryInvalidTransition"):
        send_at(chain, "DEFAULT_ADMIN_ROLE", chain.registry.functions.importCommitments(
            [(reference_key("C-2"),) + entry[1:4] + (0,) + entry[5:]]))  # status None
    for bad in ((0, 0, 0, 0, 0, 0), (1, 2, 0, 0, 0, 0), (1, 1, 2, 0, 0, 0), (1, 0, 0, 1, 2, 0), (1, 0, 0, 1, 1, 2)):
        with reverts("CommitmentRegistryInvalidCounters"):
            send_at(chain, "DEFAULT_ADMIN_ROLE", chain.registry.functions.importCounters([(PAYER, bad)]))
    receipt = send_at(chain, "DEFAULT_ADMIN_ROLE", chain.registry.functions.importCounters([(PAYER, (3, 1, 1, 2, 1, 0))]))
    assert events(chain.registry, "CountersImported", receipt) == [{
        "enterprise": PAYER, "recorded": 3, "fulfilled": 1, "fulfilledLate": 1, "overdue": 2, "breached": 1, "repaired": 0}]
    assert counters(chain) == dict(recorded=3, fulfilled=1, fulfilledLate=1, overdue=2, breached=1, repaired=0)
    with reverts("CommitmentRegistryCountersExist"):
        send_at(chain, "DEFAULT_ADMIN_ROLE", chain.registry.functions.importCounters([(PAYER, (1, 0, 0, 0, 0, 0))]))
    record(chain, "C-new")  # v2 counting continues from the imported counters
    assert counters(chain)["recorded"] == 4
