"""Every command kind the outbox carries: kind → contract, signing role, function, argument order.

This is the one table of the contracts' write functions (v3: IFeeLedger, ICommitmentRegistry; v1:
IInspectionDraws);
moving to another contract version changes it (and the arguments the domain services put into
commands). It is plain data, so the domain can enqueue without loading eth_abi or the ABIs; the
writer encodes the calls (`ledger.writer.calls`).

Command arguments are stored as JSON: bytes32 values as 0x-hex, numbers as integers.
`fields` gives their order in the single call; `batch` (when the contract has one) takes a list
of tuples in the same order, so many commands share one transaction.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    contract: str  # FeeLedger, CommitmentRegistry, InspectionDraws
    role: str  # the role whose key signs it
    function: str  # the single call
    fields: tuple[str, ...]  # argument names, in the function's order
    batch: str | None = None  # the batch call taking a list of `fields` tuples (or of one value)
    # A view telling whether the command's effect is already on chain (for reconciling after a crash):
    # (function, argument name, how to read its answer).
    landed_view: tuple[str, str, str] | None = None
    gas_single: int = 150_000  # generous upper bounds of the gas used (the measured figures are well below)
    gas_per_item: int = 60_000
    max_batch: int = 1000  # keeps one transaction well under the block gas limit
    # (field, offset field): the field is set when the writer builds the transaction, to the chain's head
    # then plus the offset field's value, so a command held in the outbox (the writer stopped or behind, a
    # pause) still lands; a command without the offset field is sent with the field as stored.
    from_head: tuple[str, str] | None = None

    def args_of(self, args: dict) -> tuple:
        return tuple(abi_value(args[name]) for name in self.fields)

    def at_head(self, args: dict, head: int) -> dict:
        """The command's arguments as sent when the chain's latest block is `head` (see `from_head`)."""
        if self.from_head is None or self.from_head[1] not in args:
            return args
        field, offset = self.from_head
        return {**args, field: head + int(args[offset])}


def abi_value(value):
    if isinstance(value, str) and value.startswith("0x"):
        return bytes.fromhex(value[2:])
    return value


KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        # FeeLedger v3: the rate comes from the table published on chain for (version, district);
        # `assessed_at` is the levy notice's issue time (the account keeps the first one).
        Kind(
            "assess_fee",
            "FeeLedger",
            "ASSESSOR_ROLE",
            "assess",
            (
                "project",
                "payer",
                "district",
                "shortfall_area",
                "rate_table_version",
                "assessed_at",
                "due_at",
                "basis_hash",
            ),
        ),
        Kind(
            "set_relief",
            "FeeLedger",
            "ASSESSOR_ROLE",
            "setRelief",
            ("project", "reason", "relief_bps", "document_hash"),
        ),
        Kind("adjust_fee", "FeeLedger", "ASSESSOR_ROLE", "adjust", ("project", "reason", "delta_fen", "document_hash")),
        Kind(
            "record_payment",
            "FeeLedger",
            "TAX_ROLE",
            "recordPayment",
            ("project", "voucher", "amount_fen", "paid_at"),
            batch="recordPayments",
            landed_view=("isVoucherRecorded", "voucher", "bool"),
            gas_single=100_000,
            gas_per_item=45_000,
            max_batch=1000,
        ),
        Kind(
            "record_refund",
            "FeeLedger",
            "TAX_ROLE",
            "recordRefund",
            ("project", "refund_ref", "amount_fen", "refunded_at", "reason"),
            batch="recordRefunds",
            landed_view=("isRefundRecorded", "refund_ref", "bool"),
            max_batch=500,
        ),
        # CommitmentRegistry v3: fact times (signedAt, fulfilledAt, repairedAt, acceptedAt) come from the request.
        Kind(
            "record_commitment",
            "CommitmentRegistry",
            "APPROVAL_ROLE",
            "record",
            ("commitment", "project", "enterprise", "kind", "signed_at", "due_at", "terms_hash"),
            batch="recordBatch",
            landed_view=("commitmentOf", "commitment", "status"),
            gas_single=250_000,
            gas_per_item=200_000,
            max_batch=100,
        ),  # v3 stores recordedAt and seals an open import
        Kind(
            "fulfil_by_acceptance",
            "CommitmentRegistry",
            "APPROVAL_ROLE",
            "fulfilByAcceptance",
            ("commitment", "report_hash", "accepted_at"),
        ),
        Kind(
            "submit_evidence",
            "CommitmentRegistry",
            "VERIFIER_ROLE",
            "submitEvidence",
            ("commitment", "evidence_hash", "submitted_at"),
        ),
        Kind("reject_evidence", "CommitmentRegistry", "VERIFIER_ROLE", "rejectEvidence", ("commitment", "reason_hash")),
        Kind(
            "fulfil_commitment",
            "CommitmentRegistry",
            "VERIFIER_ROLE",
            "fulfil",
            ("commitment", "evidence_hash", "fulfilled_at"),
        ),
        Kind("breach_commitment", "CommitmentRegistry", "VERIFIER_ROLE", "breach", ("commitment", "reason_hash")),
        Kind(
            "extend_commitment",
            "CommitmentRegistry",
            "VERIFIER_ROLE",
            "extend",
            ("commitment", "new_due_at", "document_hash"),
        ),
        Kind(
            "repair_commitment",
            "CommitmentRegistry",
            "VERIFIER_ROLE",
            "repair",
            ("commitment", "evidence_hash", "repaired_at"),
        ),
        Kind(
            "mark_overdue",
            "CommitmentRegistry",
            "VERIFIER_ROLE",
            "markOverdue",
            ("commitment",),
            batch="markOverdueBatch",
            max_batch=200,
        ),
        # InspectionDraws v1 (双随机、一公开): the office (VERIFIER_ROLE) commits a draw, reveals it once its
        # block is mined (anyone may; the office's key does it here), and records each inspection's outcome.
        # commit_draw also re-commits an expired draw (the same terms, a new reveal block). Its reveal block is
        # the head when the writer sends it plus reveal_in_blocks: the contract wants it at least
        # MIN_REVEAL_DELAY blocks after the block the commitment is mined in, whenever that is.
        Kind(
            "commit_draw",
            "InspectionDraws",
            "VERIFIER_ROLE",
            "commitDraw",
            (
                "draw",
                "pool_hash",
                "pool_size",
                "roster_hash",
                "roster_size",
                "commitments_to_pick",
                "inspectors_to_pick",
                "reveal_block",
            ),
            from_head=("reveal_block", "reveal_in_blocks"),
        ),
        Kind("reveal_draw", "InspectionDraws", "VERIFIER_ROLE", "reveal", ("draw",)),
        # Anyone may expire a draw nobody revealed in its window; the office does before committing it again.
        Kind("expire_draw", "InspectionDraws", "VERIFIER_ROLE", "expire", ("draw",)),
        Kind(
            "record_inspection",
            "InspectionDraws",
            "VERIFIER_ROLE",
            "recordOutcome",
            ("draw", "commitment", "outcome", "document_hash"),
        ),
    ]
}

# Commitment kinds as the registry numbers them (ICommitmentRegistry.CommitmentKind).
COMMITMENT_KINDS = {"shelter_build": 0, "fee_payment": 1, "materials": 2, "peacetime_use": 3}
COMMITMENT_STATUSES = ["none", "recorded", "fulfilled", "overdue", "breached", "repaired", "extended"]
# Inspection outcomes as InspectionDraws numbers them (IInspectionDraws.Outcome; 0 is "none").
INSPECTION_OUTCOMES = {"conforms": 1, "minor_findings": 2, "false_commitment": 3}
