"""Turn decoded logs into rows of the event tables (pure: no SQL, no chain).

Aggregates are not folded here: `aggregates.py` recomputes them from these rows for the keys
a batch touched, so the live loop and the reorg path share one definition.
"""

from dataclasses import dataclass, field

from ledger.events import Log

PROOF = ("chain_id", "block_number", "log_index", "block_hash", "transaction_hash")

COLUMNS = {
    "raw_events": PROOF + ("contract", "address", "event", "subject", "topics", "data"),
    "fee_assessments": PROOF + ("project", "payer", "revision", "shortfall_area", "rate_fen_per_m2",
                                "rate_table_version", "amount_fen", "basis_hash"),
    "fee_adjustments": PROOF + ("project", "reason", "delta_fen", "document_hash"),
    "payments": PROOF + ("project", "voucher", "amount_fen", "paid_at"),
    "refunds": PROOF + ("project", "refund_ref", "amount_fen", "refunded_at"),
    "commitment_events": PROOF + ("commitment", "enterprise", "project", "kind", "event", "status",
                                  "due_at", "late", "document_hash"),
    "role_events": PROOF + ("contract", "address", "event", "role", "account", "sender"),
    "pause_events": PROOF + ("contract", "address", "paused", "account"),
}

KINDS = ("shelter_build", "fee_payment", "materials", "peacetime_use")

# event -> (history name, status after, argument holding the document hash)
COMMITMENT_EVENTS = {
    "CommitmentRecorded": ("recorded", "recorded", "termsHash"),
    "CommitmentFulfilled": ("fulfilled", "fulfilled", "evidenceHash"),
    "CommitmentMarkedOverdue": ("marked_overdue", "overdue", None),
    "CommitmentBreached": ("breached", "breached", "reasonHash"),
    "CommitmentRepaired": ("repaired", "repaired", "evidenceHash"),
    "CommitmentExtended": ("extended", "extended", "documentHash"),
}
FEE_EVENTS = {"FeeAssessed", "FeeAdjusted", "PaymentRecorded", "RefundRecorded", "OverpaymentFlagged"}


def reason_text(word: str) -> str:
    """A bytes32 reason code back to its ASCII text."""
    return bytes.fromhex(word[2:]).rstrip(b"\0").decode("ascii", "replace")


@dataclass
class Batch:
    """Rows for one transaction of the read model, and the aggregate keys they touch."""

    chain_id: int
    rows: dict[str, list[tuple]] = field(default_factory=lambda: {table: [] for table in COLUMNS})
    commitments: set[str] = field(default_factory=set)
    # commitment -> enterprise, for commitments recorded in this batch
    recorded: dict[str, str] = field(default_factory=dict)
    # (project, event, args, proof) in chain order, folded into fee accounts by aggregates.py
    fee_changes: list[tuple] = field(default_factory=list)
    # enterprise -> proof of its newest commitment event in this batch
    enterprise_latest: dict[str, tuple] = field(default_factory=dict)
    events: int = 0

    @classmethod
    def merge(cls, batches: "tuple[Batch, ...] | list[Batch]") -> "Batch":
        """Consecutive batches as one, for a single transaction."""
        if len(batches) == 1:
            return batches[0]
        merged = cls(batches[0].chain_id)
        for batch in batches:
            for table, rows in batch.rows.items():
                merged.rows[table].extend(rows)
            merged.commitments |= batch.commitments
            merged.recorded.update(batch.recorded)
            merged.fee_changes.extend(batch.fee_changes)
            merged.enterprise_latest.update(batch.enterprise_latest)
            merged.events += batch.events
        return merged

    @staticmethod
    def needs_enterprise(logs: list[tuple[str, Log]]) -> set[str]:
        """Commitments whose enterprise must be looked up (recorded in an earlier batch)."""
        recorded_here = {log.args["commitment"] for _, log in logs if log.event == "CommitmentRecorded"}
        return {
            log.args["commitment"] for _, log in logs
            if log.event in COMMITMENT_EVENTS and log.args["commitment"] not in recorded_here
        }

    def add(self, contract: str, log: Log, enterprise_of: dict[str, str]) -> None:
        proof = (self.chain_id, log.block_number, log.log_index, log.block_hash, log.transaction_hash)
        args, event, rows = log.args, log.event, self.rows
        subject = None
        if event in FEE_EVENTS:
            subject = project = args["project"]
            if event != "OverpaymentFlagged":  # a flag, not a change of the account
                self.fee_changes.append((project, event, args, proof))
            if event == "PaymentRecorded":
                rows["payments"].append(proof + (project, args["voucher"], args["amountFen"], args["paidAt"]))
            elif event == "FeeAssessed":
                rows["fee_assessments"].append(proof + (
                    project, args["payer"], args["revision"], args["shortfallArea"], args["rateFenPerM2"],
                    args["rateTableVersion"], args["amountFen"], args["basisHash"],
                ))
            elif event == "FeeAdjusted":
                rows["fee_adjustments"].append(proof + (project, reason_text(args["reason"]), args["deltaFen"], args["documentHash"]))
            elif event == "RefundRecorded":
                rows["refunds"].append(proof + (project, args["refundRef"], args["amountFen"], args["refundedAt"]))
        elif event in COMMITMENT_EVENTS:
            subject = commitment = args["commitment"]
            history, status, document = COMMITMENT_EVENTS[event]
            if event == "CommitmentRecorded":
                enterprise = self.recorded[commitment] = args["enterprise"]
                project, kind, due_at = args["project"], KINDS[args["kind"]], args["dueAt"]
            else:
                enterprise = self.recorded.get(commitment) or enterprise_of[commitment]
                project = kind = None
                due_at = args.get("newDueAt")
            self.commitments.add(commitment)
            self.enterprise_latest[enterprise] = proof[1:]
            rows["commitment_events"].append(proof + (
                commitment, enterprise, project, kind, history, status, due_at, args.get("late"),
                args[document] if document else None,
            ))
        elif event.startswith("Role"):
            if event == "RoleAdminChanged":
                values = (args["role"], args["newAdminRole"], args["previousAdminRole"])
            else:
                values = (args["role"], args["account"], args["sender"])
            rows["role_events"].append(proof + (contract, log.address, event) + values)
        elif event in ("Paused", "Unpaused"):
            rows["pause_events"].append(proof + (contract, log.address, event == "Paused", args["account"]))
        rows["raw_events"].append(proof + (contract, log.address, event, subject, log.topics, log.data))
        self.events += 1
