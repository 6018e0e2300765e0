"""What anyone may see (masked, every figure with its proof): a project with its fee and
commitments, its payments, a receipt's verification and its re-check on chain, and the fee
estimator."""

from datetime import datetime

from pydantic import BaseModel

from ledger.domain.schemas.common import CommitmentKind, FeeStatus, ProjectStage, Proof


class FeeEstimate(BaseModel):
    district: str
    shortfall_area: int
    rate_fen_per_m2: int
    rate_table_version: int
    amount_fen: int
    basis: str  # the legal basis text the table cites
    sample: bool  # true when the table cites the sample's legal basis (ledger.chain.rate_tables.is_sample_basis)


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
