"""`python -m devtools bench gas`: gas used by each write, on a fresh local node."""

from ledger.chain.node import Sender, connect, contract_at, signers_from_mnemonic
from ledger.chain.deploy import deploy
from devtools.dev_node import LocalNode
from ledger.core.identifiers import enterprise_key, project_key, reason_code, reference_key
from ledger.chain.rate_tables import SAMPLE_RATE_TABLE
from ledger.core.settings import DEV_MNEMONIC, DEV_PEPPER

BATCH = 100
DAY = 86_400


def measure_gas() -> dict[str, int]:
    with LocalNode() as node:
        w3 = connect(node.url)
        signers = signers_from_mnemonic(DEV_MNEMONIC)
        manifest, _ = deploy(w3, signers)  # publishes the sample rate table on the dev chain
        fee = contract_at(w3, "FeeLedger", manifest.latest("FeeLedger").address)
        registry = contract_at(w3, "CommitmentRegistry", manifest.latest("CommitmentRegistry").address)
        assessor, tax = Sender(w3, signers["ASSESSOR_ROLE"]), Sender(w3, signers["TAX_ROLE"])
        approval, verifier = Sender(w3, signers["APPROVAL_ROLE"]), Sender(w3, signers["VERIFIER_ROLE"])
        payer = enterprise_key("91410100MA44XXXX0X", DEV_PEPPER)
        basis = reference_key("sample-rate-table-v1")
        version = SAMPLE_RATE_TABLE.version

        now = w3.eth.get_block("latest")["timestamp"]
        projects = [project_key(f"2026-410105-47-01-{i:06d}") for i in range(BATCH + 1)]
        assess_gas = [
            assessor.send(fee.functions.assess(p, payer, 410105, 123_456, version, now, now + 90 * DAY, basis))[
                "gasUsed"
            ]
            for p in projects
        ]
        relief = assessor.send(fee.functions.setRelief(projects[0], reason_code("AFFORDABLE_HOUSING"), 5_000, basis))
        now = w3.eth.get_block("latest")["timestamp"]
        single = tax.send(fee.functions.recordPayment(projects[0], reference_key("V-single"), 100_000, now))
        # Worst case for a batch: every record touches a different project's account.
        batch = [(p, reference_key(f"V-batch-{i}"), 100_000, now) for i, p in enumerate(projects[1:])]
        batch_receipt = tax.send(fee.functions.recordPayments(batch))
        replay = tax.send(fee.functions.recordPayments(batch))
        # Overpay project 0 so an ordinary refund of the excess is possible.
        tax.send(fee.functions.recordPayment(projects[0], reference_key("V-over"), 200_000_000, now))
        refund = tax.send(fee.functions.recordRefund(projects[0], reference_key("R-1"), 1_000, now, b"\0" * 32))

        commitment = reference_key("C-1")
        record = approval.send(registry.functions.record(commitment, projects[0], payer, 0, now, now + DAY, basis))
        evidence = approval.send(registry.functions.submitEvidence(commitment, basis, now))
        fulfil = verifier.send(registry.functions.fulfil(commitment, basis, now))

        draws = contract_at(w3, "InspectionDraws", manifest.latest("InspectionDraws").address)
        draw = reference_key("DRAW-1")
        commit_draw = verifier.send(
            draws.functions.commitDraw(draw, basis, 500, basis, 20, 25, 4, w3.eth.block_number + 11)
        )
        for _ in range(11):
            w3.provider.make_request("evm_mine", [])
        reveal = approval.send(draws.functions.reveal(draw))  # anyone may reveal
        inspection = verifier.send(draws.functions.recordOutcome(draw, commitment, 3, basis))
        return {
            "payment_single_gas": single["gasUsed"],
            "payment_batch100_per_record_gas": batch_receipt["gasUsed"] // BATCH,
            "payment_batch100_gas": batch_receipt["gasUsed"],
            "payment_batch100_replay_gas": replay["gasUsed"],
            "assess_gas": assess_gas[0],
            "relief_gas": relief["gasUsed"],
            "refund_gas": refund["gasUsed"],
            "commitment_record_gas": record["gasUsed"],
            "commitment_evidence_gas": evidence["gasUsed"],
            "commitment_fulfil_gas": fulfil["gasUsed"],
            "draw_commit_gas": commit_draw["gasUsed"],
            "draw_reveal_gas": reveal["gasUsed"],
            "inspection_outcome_gas": inspection["gasUsed"],
        }
