"""Input and output models of the domain services (the API uses them as request/response bodies).

Inputs validate everything a service can check without the database: identifiers (USCC with
its check character through python-stdnum, project codes, Zhengzhou district codes), money as
positive integer fen (StrictInt: no floats, no strings), areas as integer 0.01 m², SHA-256
hex, timezone-aware times. A pydantic error names the field (`loc`) and the rule (`type`).

Naming follows the FastAPI template: `XCreate` in, `XPublic` out.
"""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt,
                      StringConstraints, model_validator)
from pydantic_core import PydanticCustomError

# Identifiers follow one rule (fold to ASCII, then an ASCII pattern): ledger.core.identifiers.
from ledger.core.identifiers import District, LevyNumber, ProjectCode, ReasonCode, Reference, Uscc

# Contract fields are uint64 (amounts, areas) and int64 (signed adjustments).
MAX_FEN = 2**63 - 1
MAX_AREA = 2**63 - 1
MAX_BATCH = 500

# Positive integer fen (分); StrictInt refuses 1.5, "100" and true.
Fen = Annotated[StrictInt, Field(gt=0, le=MAX_FEN, description="money in fen (分), a positive integer")]
SignedFen = Annotated[StrictInt, Field(ge=-MAX_FEN, le=MAX_FEN, description="signed money in fen (分)")]
# Area in 0.01 m² (so 1234.56 m² is 123456).
Area = Annotated[StrictInt, Field(ge=0, le=MAX_AREA, description="area in 0.01 m², a non-negative integer")]


def _not_zero_hash(value: str) -> str:
    if value == "0" * 64:  # the contracts refuse a zero hash (…ZeroHash): no document hashes to it
        raise PydanticCustomError("not_zero", "a SHA-256 of 64 zeros is not a document's hash")
    return value


Sha256Hex = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[0-9a-f]{64}$"),
                      AfterValidator(_not_zero_hash), Field(description="SHA-256 of the document, 64 hex characters")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9-]{5,19}$")]

ProjectStage = Literal["approval", "construction", "acceptance", "completed"]
CommitmentKind = Literal["shelter_build", "fee_payment", "materials", "peacetime_use"]
CommandStatusName = Literal["accepted", "submitted", "mined", "indexed", "failed"]
FeeStatus = Literal["unassessed", "assessed", "partially_paid", "paid", "overpaid", "exempt", "nothing_owed"]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- projects -------------------------------------------------------------------------------

class ProjectCreate(Input):
    """Register a project, or update it (same project code) — from the approval system."""

    project_code: ProjectCode
    name: Name
    builder_uscc: Uscc
    builder_name: Name
    contact_person: Name | None = None
    contact_phone: Phone | None = None
    district: District
    required_shelter_area: Area
    built_shelter_area: Area
    stage: ProjectStage = "approval"


class ProjectPublic(BaseModel):
    project_code: str
    project_key: str  # keccak256(project_code), 0x-hex: how the chain names it
    name: str
    builder_uscc: str
    builder_name: str
    district: str
    district_name: str
    required_shelter_area: int
    built_shelter_area: int
    shortfall_area: int
    stage: ProjectStage
    created_at: datetime
    updated_at: datetime


# --- fees -----------------------------------------------------------------------------------

class FeeAssessmentCreate(Input):
    """Assess (or reassess) a project's fee from the versioned rate table (office staff)."""

    project_code: ProjectCode
    # The chain assesses with the district's table in effect at the first levy notice's time; when
    # given, this date must name that same table (a check, not a choice).
    effective_on: date | None = None
    # The fee is due at the end of this day (Asia/Shanghai); 30 days after today when omitted. A
    # reassessment keeps the first assessment's due date (omit it, or give the same day).
    due_date: date | None = None


class AdjustmentCreate(Input):
    """A reduction or exemption (减免) from the reduction policy, or an explicit signed amount."""

    project_code: ProjectCode
    reason_code: ReasonCode
    # None: the amount follows from the policy for `reason_code` (e.g. AFFORDABLE_HOUSING halves the due fee).
    delta_fen: SignedFen | None = None
    document_sha256: Sha256Hex

    @model_validator(mode="after")
    def _nonzero(self) -> "AdjustmentCreate":
        if self.delta_fen == 0:
            raise PydanticCustomError("nonzero", "delta_fen must not be zero")
        return self


class FeeEstimate(BaseModel):
    district: str
    shortfall_area: int
    rate_fen_per_m2: int
    rate_table_version: int
    amount_fen: int
    basis: str  # the legal basis text the table cites
    sample: bool  # true while the table is the shipped sample


# --- payments and refunds -------------------------------------------------------------------

class PaymentConfirmation(Input):
    """The tax system confirms that a levy was paid (one 电子缴款凭证)."""

    levy_number: LevyNumber
    voucher_number: Reference
    amount_fen: Fen
    paid_at: AwareDatetime
    payer_uscc: Uscc


class PaymentBatch(Input):
    items: Annotated[list[PaymentConfirmation], Field(min_length=1, max_length=MAX_BATCH)]


class RefundCreate(Input):
    refund_reference: Reference
    levy_number: LevyNumber
    amount_fen: Fen
    refunded_at: AwareDatetime
    # None: an ordinary refund of the excess; else a reason code governance allowed to go beyond it.
    reason_code: ReasonCode | None = None


class CommandAccepted(BaseModel):
    """A command written to the outbox; its status is at /v1/commands/{command_id}."""

    command_id: str
    kind: str
    reference: str  # the business key it carries (voucher, commitment number, project code...)
    status: CommandStatusName = "accepted"


class ItemProblem(BaseModel):
    type: str
    field: str | None = None
    rule: str | None = None
    detail: str


class PaymentItemResult(BaseModel):
    index: int
    voucher_number: str
    accepted: bool
    command_id: str | None = None
    problem: ItemProblem | None = None


class PaymentBatchResult(BaseModel):
    accepted: int
    rejected: int
    items: list[PaymentItemResult]


class LevyPublic(BaseModel):
    levy_number: str
    project_code: str
    payer_uscc: str
    kind: Literal["assessment", "supplementary"]
    amount_fen: int
    confirmed_fen: int  # sum of payment confirmations received for it
    status: Literal["open", "paid", "cancelled"]
    created_at: datetime


class LevyPage(BaseModel):
    items: list[LevyPublic]
    next_cursor: str | None


class PaymentPublic(BaseModel):
    voucher_number: str
    levy_number: str
    project_code: str
    amount_fen: int
    paid_at: datetime
    command_id: str
    status: CommandStatusName


# --- commitments ----------------------------------------------------------------------------

class CommitmentCreate(Input):
    commitment_number: Reference
    project_code: ProjectCode
    enterprise_uscc: Uscc
    kind: CommitmentKind
    due_date: date  # due at the end of this day, Asia/Shanghai; at least a day after signing
    terms_sha256: Sha256Hex
    signed_at: AwareDatetime | None = None  # when the enterprise signed; now when omitted


class CommitmentBatch(Input):
    items: Annotated[list[CommitmentCreate], Field(min_length=1, max_length=MAX_BATCH)]


class CommitmentDecision(Input):
    """An office decision: fulfil (verify), breach, extend (with a new due date) or repair; or the
    enterprise's fulfilment evidence received (submit_evidence: stops the overdue clock) and its
    rejection (reject_evidence)."""

    action: Literal["fulfil", "breach", "extend", "repair", "submit_evidence", "reject_evidence"]
    document_sha256: Sha256Hex  # evidence, breach reason, extension approval or repair evidence
    new_due_date: date | None = None
    # The fact time of a fulfilment, repair or evidence submission (it decides "late"); now when omitted.
    decided_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _due_date_only_for_extend(self) -> "CommitmentDecision":
        if self.action == "extend" and self.new_due_date is None:
            raise PydanticCustomError("required_for_extend", "new_due_date is required to extend a commitment")
        if self.action != "extend" and self.new_due_date is not None:
            raise PydanticCustomError("only_for_extend", "new_due_date is allowed only when extending")
        return self


class CommitmentPublic(BaseModel):
    commitment_number: str
    project_code: str
    enterprise_uscc: str
    kind: CommitmentKind
    due_date: date
    terms_sha256: str
    status: str  # the on-chain status when indexed, else "pending"
    command_id: str
    created_at: datetime


class AcceptanceReport(Input):
    """Joint acceptance (联合验收) with the surveyed shelter area (联合测绘)."""

    project_code: ProjectCode
    passed: StrictBool
    surveyed_shelter_area: Area
    report_sha256: Sha256Hex
    accepted_at: AwareDatetime | None = None  # when the joint acceptance passed; now when omitted


class AcceptanceAccepted(BaseModel):
    report_id: str
    commands: list[CommandAccepted]  # fulfil shelter_build, and the 补缴 / 核减 adjustment if any
    delta_fen: int  # + supplementary charge, − reduction, 0 when the area matches


# --- commands -------------------------------------------------------------------------------

class ChainError(BaseModel):
    name: str  # the contract's custom error, e.g. FeeLedgerVoucherConflict
    args: list[str]


class CommandStatus(BaseModel):
    command_id: str
    kind: str
    reference: str
    status: CommandStatusName
    created_at: datetime
    submitted_at: datetime | None = None
    mined_at: datetime | None = None
    indexed_at: datetime | None = None
    chain_id: int | None = None
    transaction_hash: str | None = None
    block_number: int | None = None
    error: ChainError | None = None


# --- clearance ------------------------------------------------------------------------------

class Proof(BaseModel):
    chain_id: int
    block_number: int
    block_hash: str
    transaction_hash: str
    log_index: int


class ClearanceReason(BaseModel):
    code: str  # fee_unassessed, fee_outstanding, commitment_overdue, commitment_breached, ...
    detail: str
    reference: str | None = None  # commitment number or project code
    proof: Proof | None = None


class Clearance(BaseModel):
    project_code: str
    clear: bool
    fee_status: FeeStatus
    due_fen: int
    paid_fen: int
    open_commitments: list[str]
    overdue_commitments: list[str]
    reasons: list[ClearanceReason]  # why not clear; empty when clear
    proof: Proof | None = None  # of the fee account's latest event


# --- statements and reconciliation ----------------------------------------------------------

class StatementItem(Input):
    voucher_number: Reference
    levy_number: Reference
    amount_fen: Fen
    paid_at: AwareDatetime


class DailyStatement(BaseModel):
    day: date  # Asia/Shanghai
    count: int
    total_fen: int
    items: list[StatementItem]


class TaxStatement(Input):
    """The tax system's own statement of a day's payments."""

    day: date
    items: Annotated[list[StatementItem], Field(max_length=100_000)]


class AmountMismatch(BaseModel):
    voucher_number: str
    ours_fen: int
    theirs_fen: int


class Reconciliation(BaseModel):
    day: date
    matched: int
    missing_here: list[str]  # vouchers in their statement we have no confirmation of
    missing_there: list[str]  # vouchers we recorded that their statement lacks
    amount_mismatches: list[AmountMismatch]
    clean: bool


# --- the public (anyone: masked, every figure with its proof) -------------------------------

class ReadModelAsOf(BaseModel):
    """The read model's checkpoint when the answer was read: figures are the chain's up to this block."""

    chain_id: int
    block_number: int


class PublicFee(BaseModel):
    """The fee account as the chain holds it (FeeLedger), with the proof of its latest event."""

    status: FeeStatus
    shortfall_area: int | None  # 0.01 m², as assessed (None: an account imported from an earlier version)
    rate_fen_per_m2: int | None
    rate_table_version: int
    base_fen: int  # round_half_up(shortfall_area × rate / 100)
    relief_bps: int  # 减免 as a share of the base (10,000 = exempt)
    adjustment_fen: int  # Σ 补缴 (+) / 核减 (−)
    due_fen: int
    paid_fen: int
    refunded_fen: int
    due_at: datetime
    proof: Proof  # of the account's latest event: status and amounts
    assessment_proof: Proof | None  # of the latest FeeAssessed: area, rate and table version


class PublicCommitment(BaseModel):
    commitment_number: str
    kind: CommitmentKind
    status: str  # recorded, fulfilled, overdue, breached, repaired, extended
    due_at: datetime
    fulfilled_late: bool
    proof: Proof


class PublicCommitmentPage(BaseModel):
    items: list[PublicCommitment]
    next_cursor: str | None


class PublicPayment(BaseModel):
    voucher_number_masked: str  # the holder of the voucher verifies it in full at /v1/public/receipts/{voucher}
    amount_fen: int
    paid_at: datetime
    late: bool | None  # None: imported from an earlier contract version
    proof: Proof


class PublicPaymentPage(BaseModel):
    items: list[PublicPayment]
    next_cursor: str | None


class PublicProject(BaseModel):
    """What anyone may see of a project: no personal data, the builder's name masked."""

    project_code: str
    project_key: str  # keccak256(project_code): how the chain names it
    name: str
    district: str
    district_name: str
    stage: ProjectStage
    builder_name_masked: str
    fee: PublicFee | None  # None until the fee is assessed on chain
    commitments: PublicCommitmentPage  # the first page; more at /v1/public/projects/{code}/commitments
    as_of: ReadModelAsOf | None  # None while nothing is indexed


class ReceiptVerification(BaseModel):
    """A payment voucher (电子缴款凭证) as the chain recorded it."""

    verified: bool  # always true in a 200 answer: the voucher is recorded on chain
    voucher_number: str  # normalised as on chain
    amount_fen: int
    paid_at: datetime
    late: bool | None
    project_code: str | None  # None: the chain names a project this platform has not registered
    project_name: str | None
    district_name: str | None
    proof: Proof
    as_of: ReadModelAsOf


class ChainCheck(BaseModel):
    """A receipt's proof re-read from a chain node (the node's transaction receipt, not the read model)."""

    matches: bool
    checked_block_number: int | None  # the node's head when checked
    detail: str  # what matched, or the first thing that did not
