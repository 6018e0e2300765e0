"""`ledger bench gas`: gas used by each write, on a fresh local node."""

from ledger.chain import Sender, connect, contract_at, signers_from_mnemonic
from ledger.deploy import deploy
from ledger.devchain import LocalNode
from ledger.identifiers import enterprise_key, project_key, reference_key
from ledger.settings import DEV_MNEMONIC, DEV_PEPPER

BATCH = 100


def measure_gas() -> dict[str, int]:
    with LocalNode() as node:
        w3 = connect(node.url)
        signers = signers_from_mnemonic(DEV_MNEMONIC)
        manifest, _ = deploy(w3, signers)
        fee = contract_at(w3, "FeeLedger", manifest.latest("FeeLedger").address)
        registry = contract_at(w3, "CommitmentRegistry", manifest.latest("CommitmentRegistry").address)
        assessor, tax = Sender(w3, signers["ASSESSOR_ROLE"]), Sender(w3, signers["TAX_ROLE"])
        approval, verifier = Sender(w3, signers["APPROVAL_ROLE"]), Sender(w3, signers["VERIFIER_ROLE"])
        payer = enterprise_key("91410100MA44XXXX0X", DEV_PEPPER)
        basis = reference_key("sample-rate-table-v1")

        projects = [project_key(f"2026-410105-47-01-{i:06d}") for i in range(BATCH + 1)]
        assess_gas = [assessor.send(fee.functions.assess(p, payer, 123_456, 250_000, 1, basis))["gasUsed"] for p in projects]
        now = w3.eth.get_block("latest")["timestamp"]
        single = tax.send(fee.functions.recordPayment(projects[0], reference_key("V-single"), 100_000, now))
        # Worst case for a batch: every record touches a different project's account.
        batch = [(p, reference_key(f"V-batch-{i}"), 100_000, now) for i, p in enumerate(projects[1:])]
        batch_receipt = tax.send(fee.functions.recordPayments(batch))
        refund = tax.send(fee.functions.recordRefund(projects[0], reference_key("R-1"), 1_000, now))

        commitment = reference_key("C-1")
        record = approval.send(
            registry.functions.record(commitment, projects[0], payer, 0, now + 86_400, basis)
        )
        fulfil = verifier.send(registry.functions.fulfil(commitment, basis))
        return {
            "payment_single_gas": single["gasUsed"],
            "payment_batch100_per_record_gas": batch_receipt["gasUsed"] // BATCH,
            "payment_batch100_gas": batch_receipt["gasUsed"],
            "assess_gas": assess_gas[0],
            "refund_gas": refund["gasUsed"],
            "commitment_record_gas": record["gasUsed"],
            "commitment_fulfil_gas": fulfil["gasUsed"],
        }
