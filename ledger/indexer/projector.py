"""Turn decoded logs into rows of the event tables (pure: no SQL, no chain).

Aggregates are not folded here: the batch collects what `aggregates.py` needs — fee changes in
chain order, the commitments touched, and each enterprise's counter changes — so the live loop
and the reorg path share one definition of every aggregate.
"""

from dataclasses import dataclass, field

from ledger.chain.events import Log
from ledger.core.identifiers import InvalidIdentifier, reason_code

PROOF = ("chain_id", "block_number", "log_index", "block_hash", "transaction_hash")

COLUMNS = {
    "block_times": ("chain_id", "block_number", "block_hash", "timestamp"),
    "raw_events": PROOF + ("contract", "address", "event", "subject", "topics", "data"),
    "rate_tables": PROOF + ("version", "effective_from", "district_count", "basis_hash"),
    "rates": PROOF + ("version", "district", "rate_fen_per_m2"),
    "fee_assessments": PROOF
    + (
        "project",
        "payer",
        "revision",
        "district",
        "rate_table_version",
        "rate_fen_per_m2",
        "shortfall_area",
        "base_fen",
        "due_fen",
        "assessed_at",
        "due_at",
        "basis_hash",
    ),
    "fee_reliefs": PROOF + ("project", "reason", "relief_bps", "document_hash", "due_fen"),
    "fee_adjustments": PROOF + ("project", "reason", "delta_fen", "document_hash", "due_fen"),
    "payments": PROOF + ("project", "voucher", "amount_fen", "paid_at", "late", "imported"),
    "refunds": PROOF + ("project", "refund_ref", "amount_fen", "refunded_at", "reason", "imported"),
    "over_refunds": PROOF + ("project", "refund_ref", "excess_fen", "over_refunded_fen"),
    "refund_owed_changes": PROOF + ("project", "owed_fen"),
    "fee_account_imports": PROOF
    + (
        "project",
        "payer",
        "district",
        "rate_table_version",
        "revision",
        "relief_bps",
        "base_fen",
        "adjustment_fen",
        "due_fen",
        "paid_fen",
        "refunded_fen",
        "assessed_at",
        "due_at",
    ),
    "commitment_events": PROOF
    + (
        "commitment",
        "enterprise",
        "project",
        "kind",
        "event",
        "status",
        "due_at",
        "fact_at",
        "late",
        "by_acceptance",
        "extensions",
        "document_hash",
        "recorded_at",
        "overdue_at",
        "evidence_submitted_at",
        "decided_at",
    ),
    "enterprise_counter_imports": PROOF
    + ("enterprise", "recorded", "fulfilled", "fulfilled_late", "overdue", "breached", "repaired"),
    "role_events": PROOF + ("contract", "address", "event", "role", "account", "sender"),
    "governance_events": PROOF + ("contract", "address", "event", "key", "value"),
    "pause_events": PROOF + ("contract", "address", "paused", "account"),
    "inspection_draw_events": PROOF
    + (
        "draw",
        "attempt",
        "event",
        "reveal_block",
        "pool_hash",
        "pool_size",
        "roster_hash",
        "roster_size",
        "commitments_to_pick",
        "inspectors_to_pick",
        "commitment",
        "reveal_block_hash",
        "seed",
    ),
    "inspection_outcomes": PROOF + ("draw", "commitment", "outcome", "document_hash"),
}

KINDS = ("shelter_build", "fee_payment", "materials", "peacetime_use")
STATUSES = ("none", "recorded", "fulfilled", "overdue", "breached", "repaired", "extended")
ZERO_WORD = "0x" + "00" * 32

# event -> (history name, status after (None: unchanged), argument holding the document hash,
#           argument holding the fact time)
COMMITMENT_EVENTS = {
    "CommitmentRecorded": ("recorded", "recorded", "termsHash", "signedAt"),
    "CommitmentImported": ("imported", None, "termsHash", "signedAt"),  # status from the event
    "CommitmentEvidenceSubmitted": ("evidence_submitted", None, "evidenceHash", "submittedAt"),
    "CommitmentEvidenceRejected": ("evidence_rejected", None, "reasonHash", None),
    "CommitmentFulfilled": ("fulfilled", "fulfilled", "evidenceHash", "fulfilledAt"),
    "CommitmentMarkedOverdue": ("marked_overdue", "overdue", None, None),
    "CommitmentBreached": ("breached", "breached", "reasonHash", None),
    "CommitmentRepaired": ("repaired", "repaired", "evidenceHash", "repairedAt"),
    "CommitmentExtended": ("extended", "extended", "documentHash", None),
}
# What a v3 CommitmentImported carries beyond a record (None on other events and from v2).
IMPORTED_TIMES = ("recordedAt", "overdueAt", "evidenceSubmittedAt", "decidedAt")
# Events that define a commitment's enterprise (the rest look it up).
COMMITMENT_ORIGINS = {"CommitmentRecorded", "CommitmentImported"}
# Events that change a fee account, folded by aggregates.fold_fee_event.
FEE_CHANGES = {
    "FeeAssessed",
    "FeeReliefSet",
    "FeeAdjusted",
    "PaymentRecorded",
    "RefundRecorded",
    "OverRefundFlagged",
    "RefundOwedChanged",
    "AccountImported",
}
# FeeLedger events about one project (its raw row's subject).
FEE_EVENTS = FEE_CHANGES | {"VoucherImported", "RefundImported"}
GOVERNANCE_EVENTS = {
    "OverdueGracePeriodSet": lambda a: (None, str(a["gracePeriod"])),
    "RefundReasonAllowed": lambda a: (reason_text(a["reason"]), "true" if a["allowed"] else "false"),
    "ImportSealed": lambda a: (None, None),
    "DefaultAdminTransferScheduled": lambda a: (a["newAdmin"], str(a["acceptSchedule"])),
    "DefaultAdminTransferCanceled": lambda a: (None, None),
    "DefaultAdminDelayChangeScheduled": lambda a: (None, f"{a['newDelay']}@{a['effectSchedule']}"),
    "DefaultAdminDelayChangeCanceled": lambda a: (None, None),
}
# InspectionDraws: event -> history name; the arguments each row takes, in column order after `event`
DRAW_EVENTS = {"DrawCommitted": "committed", "DrawRevealed": "revealed", "DrawExpired": "expired"}
DRAW_ARGUMENTS = (
    "revealBlock",
    "poolHash",
    "poolSize",
    "rosterHash",
    "rosterSize",
    "commitmentsToPick",
    "inspectorsToPick",
    "commitment",
    "revealBlockHash",
    "seed",
)
OUTCOMES = ("none", "conforms", "minor_findings", "false_commitment")
# Counter positions in SummaryChange.counts, by commitment history event.
COUNTED = {"recorded": 0, "fulfilled": 1, "marked_overdue": 3, "breached": 4, "repaired": 5}


def reason_text(word: str) -> str:
    """A bytes32 reason code back to its ASCII text (ledger.core.identifiers.reason_code makes them);
    any other word (not ASCII, inner NULs, …) stays its 0x-hex, which no code can be (66 characters
    against at most 32), so the text is lossless either way."""
    try:
        text = bytes.fromhex(word[2:]).rstrip(b"\0").decode("ascii")
        if reason_code(text) == bytes.fromhex(word[2:]):
            return text
    except (UnicodeDecodeError, InvalidIdentifier):
        pass
    return word


@dataclass
class SummaryChange:
    """One enterprise's counter changes in a batch and the proof of the newest event that made one."""

    counts: list[int] = field(default_factory=lambda: [0] * 6)  # recorded … repaired, as in the summary table
    proof: tuple = ()

    def add(self, other: "SummaryChange") -> None:
        self.counts = [a + b for a, b in zip(self.counts, other.counts)]
        self.proof = other.proof


@dataclass
class Batch:
    """Rows for one transaction of the read model, and the aggregate keys they touch."""

    chain_id: int
    rows: dict[str, list[tuple]] = field(default_factory=lambda: {table: [] for table in COLUMNS})
    commitments: set[str] = field(default_factory=set)
    # commitment -> enterprise, for commitments recorded or imported in this batch
    recorded: dict[str, str] = field(default_factory=dict)
    # (project, event, args, proof) in chain order, folded into fee accounts by aggregates.py
    fee_changes: list[tuple] = field(default_factory=list)
    # enterprise -> its counter changes, folded into the summaries by aggregates.py
    summary_changes: dict[str, SummaryChange] = field(default_factory=dict)
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
            for enterprise, change in batch.summary_changes.items():
                merged.summary_changes.setdefault(enterprise, SummaryChange()).add(change)
            merged.events += batch.events
        return merged

    @staticmethod
    def needs_enterprise(logs: list[tuple[str, Log]]) -> set[str]:
        """Commitments whose enterprise must be looked up (recorded in an earlier batch)."""
        recorded_here = {log.args["commitment"] for _, log in logs if log.event in COMMITMENT_ORIGINS}
        return {
            log.args["commitment"]
            for _, log in logs
            if log.event in COMMITMENT_EVENTS and log.args["commitment"] not in recorded_here
        }

    def _count(self, enterprise: str, proof: tuple, counts: list[int]) -> None:
        change = self.summary_changes.setdefault(enterprise, SummaryChange())
        change.counts = [a + b for a, b in zip(change.counts, counts)]
        change.proof = proof[1:]

    def add(self, contract: str, log: Log, enterprise_of: dict[str, str]) -> None:
        proof = (self.chain_id, log.block_number, log.log_index, log.block_hash, log.transaction_hash)
        args, event = log.args, log.event
        if event is None:
            raise ValueError("a log no ABI here declares is kept raw, not projected")
        subject = None
        if event in FEE_EVENTS:
            subject = args["project"]
            self._add_fee(event, args, proof)
        elif event in COMMITMENT_EVENTS:
            subject = args["commitment"]
            self._add_commitment(event, args, proof, enterprise_of)
        elif event in DRAW_EVENTS:
            subject = args["draw"]
            self.rows["inspection_draw_events"].append(
                proof
                + (args["draw"], args["attempt"], DRAW_EVENTS[event])
                + tuple(args.get(name) for name in DRAW_ARGUMENTS)
            )
        elif event == "InspectionRecorded":
            subject = args["draw"]
            self.rows["inspection_outcomes"].append(
                proof + (args["draw"], args["commitment"], OUTCOMES[args["outcome"]], args["documentHash"])
            )
        elif event == "CommitmentOverdueSkipped":
            subject = args["commitment"]  # kept raw: the commitment may not even exist
        elif event == "CountersImported":
            subject = enterprise = args["enterprise"]
            counts = [args[k] for k in ("recorded", "fulfilled", "fulfilledLate", "overdue", "breached", "repaired")]
            self.rows["enterprise_counter_imports"].append(proof + (enterprise, *counts))
            self._count(enterprise, proof, counts)
        elif event == "RateTablePublished":
            self.rows["rate_tables"].append(
                proof + (args["version"], args["effectiveFrom"], args["districtCount"], args["basisHash"])
            )
        elif event == "RatePublished":
            self.rows["rates"].append(proof + (args["version"], args["district"], args["rateFenPerM2"]))
        elif event.startswith("Role"):
            if event == "RoleAdminChanged":
                values = (args["role"], args["newAdminRole"], args["previousAdminRole"])
            else:
                values = (args["role"], args["account"], args["sender"])
            self.rows["role_events"].append(proof + (contract, log.address, event) + values)
        elif event in GOVERNANCE_EVENTS:
            self.rows["governance_events"].append(
                proof + (contract, log.address, event) + GOVERNANCE_EVENTS[event](args)
            )
        elif event in ("Paused", "Unpaused"):
            self.rows["pause_events"].append(proof + (contract, log.address, event == "Paused", args["account"]))
        self.rows["raw_events"].append(proof + (contract, log.address, event, subject, log.topics, log.data))
        self.events += 1

    def _add_fee(self, event: str, args: dict, proof: tuple) -> None:
        rows, project = self.rows, args["project"]
        if event in FEE_CHANGES:
            self.fee_changes.append((project, event, args, proof))
        if event == "PaymentRecorded":
            rows["payments"].append(
                proof + (project, args["voucher"], args["amountFen"], args["paidAt"], args["late"], False)
            )
        elif event == "VoucherImported":
            rows["payments"].append(proof + (project, args["voucher"], args["amountFen"], args["paidAt"], None, True))
        elif event == "FeeAssessed":
            rows["fee_assessments"].append(
                proof
                + (
                    project,
                    args["payer"],
                    args["revision"],
                    args["district"],
                    args["rateTableVersion"],
                    args["rateFenPerM2"],
                    args["shortfallArea"],
                    args["baseFen"],
                    args["dueFen"],
                    args["assessedAt"],
                    args["dueAt"],
                    args["basisHash"],
                )
            )
        elif event == "FeeReliefSet":
            rows["fee_reliefs"].append(
                proof + (project, reason_text(args["reason"]), args["reliefBps"], args["documentHash"], args["dueFen"])
            )
        elif event == "FeeAdjusted":
            rows["fee_adjustments"].append(
                proof + (project, reason_text(args["reason"]), args["deltaFen"], args["documentHash"], args["dueFen"])
            )
        elif event == "RefundRecorded":
            reason = None if args["reason"] == ZERO_WORD else reason_text(args["reason"])
            rows["refunds"].append(
                proof + (project, args["refundRef"], args["amountFen"], args["refundedAt"], reason, False)
            )
        elif event == "RefundImported":
            rows["refunds"].append(
                proof + (project, args["refundRef"], args["amountFen"], args["refundedAt"], None, True)
            )
        elif event == "OverRefundFlagged":
            rows["over_refunds"].append(
                proof + (project, args["refundRef"], args["excessFen"], args["overRefundedFen"])
            )
        elif event == "RefundOwedChanged":
            rows["refund_owed_changes"].append(proof + (project, args["owedFen"]))
        elif event == "AccountImported":
            rows["fee_account_imports"].append(
                proof
                + (
                    project,
                    args["payer"],
                    args["district"],
                    args["rateTableVersion"],
                    args["revision"],
                    args["reliefBps"],
                    args["baseFen"],
                    args["adjustmentFen"],
                    args["dueFen"],
                    args["paidFen"],
                    args["refundedFen"],
                    args["assessedAt"],
                    args["dueAt"],
                )
            )

    def _add_commitment(self, event: str, args: dict, proof: tuple, enterprise_of: dict[str, str]) -> None:
        commitment = args["commitment"]
        history, status, document, fact = COMMITMENT_EVENTS[event]
        project = kind = None
        if event in COMMITMENT_ORIGINS:
            enterprise = self.recorded[commitment] = args["enterprise"]
            project, kind = args["project"], KINDS[args["kind"]]
        else:
            enterprise = self.recorded.get(commitment) or enterprise_of[commitment]
        if event == "CommitmentImported":
            status = STATUSES[args["status"]]
        due_at = args.get("newDueAt", args.get("dueAt"))
        late = args.get("late", args.get("fulfilledLate"))
        self.commitments.add(commitment)
        self.rows["commitment_events"].append(
            proof
            + (
                commitment,
                enterprise,
                project,
                kind,
                history,
                status,
                due_at,
                args[fact] if fact else None,
                late,
                args.get("byAcceptance"),
                args.get("extensions"),
                args[document] if document else None,
                *(args.get(name) for name in IMPORTED_TIMES),
            )
        )
        if history in COUNTED:
            counts = [0] * 6
            counts[COUNTED[history]] = 1
            if history == "fulfilled" and late:
                counts[2] = 1
            self._count(enterprise, proof, counts)
