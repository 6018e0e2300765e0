"""Read-model tables: a mirror of every contract event, and projections derived from them.

Event rows are keyed by (chain_id, block_number, log_index) and carry their proof (block
hash, transaction hash). Aggregates (fee accounts, commitments, enterprise summaries) carry the
proof of the latest event that changed them; see ledger.indexer.aggregates for how they are
kept. Hashes and identifiers are 0x-prefixed lowercase hex; money is
integer fen, area integer 0.01 m², times unix seconds.
"""

from sqlalchemy import BigInteger, Index, LargeBinary
from sqlmodel import Field, SQLModel


def big(**kw) -> Field:
    return Field(sa_type=BigInteger, **kw)


class ChainState(SQLModel, table=True):
    """The checkpoint: the last block whose events are all in the read model, the contract
    addresses indexed up to it, and running counts. Times are the database's clock."""

    __tablename__ = "chain_state"
    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    genesis_hash: str
    block_number: int = big()
    block_hash: str
    updated_at: float
    # the indexed addresses, lowercase, comma-separated and sorted (None: from before this was kept)
    addresses: str | None = None
    events_indexed: int = big(default=0)  # every log written, decoded or not
    unknown_events: int = big(default=0)  # logs kept raw: a topic no ABI here declares
    reorgs: int = 0


class IndexerStatus(SQLModel, table=True):
    """What operations see (/health, /metrics): the last good poll, the last error, a halt.
    Kept across rebuilds. Times are the database's clock."""

    __tablename__ = "indexer_status"
    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    head_block: int | None = big(default=None)  # the chain head at the last good poll
    polled_at: float | None = None  # the last poll that ended without error
    halt_kind: str | None = None  # e.g. ReorgTooDeep, GenesisMismatch: the indexer stopped
    halt_message: str | None = None
    halted_at: float | None = None
    last_error_kind: str | None = None
    last_error_message: str | None = None
    last_error_at: float | None = None


class IndexerErrorCount(SQLModel, table=True):
    """Errors the indexer met, by kind (exception class), transient ones included."""

    __tablename__ = "indexer_errors"
    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    kind: str = Field(primary_key=True)
    count: int = big()
    last_at: float


class IndexedBlock(SQLModel, table=True):
    """Recent block hashes, for the continuity check and finding a reorg's common ancestor."""

    __tablename__ = "indexed_blocks"
    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    block_number: int = Field(primary_key=True, sa_type=BigInteger)
    block_hash: str
    parent_hash: str


class IndexerLease(SQLModel, table=True):
    """Who may write the read model of a chain; others wait as standbys."""

    __tablename__ = "indexer_leases"
    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    owner: str
    expires_at: float


class EventProof(SQLModel):
    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    block_number: int = Field(primary_key=True, sa_type=BigInteger)
    log_index: int = Field(primary_key=True)
    block_hash: str
    transaction_hash: str


class RawEvent(EventProof, table=True):
    """Every log of the manifest's contracts as the node returned it (ledger.events decodes it)."""

    __tablename__ = "raw_events"
    contract: str
    address: str
    event: str | None = None  # None: a topic no ABI here declares (kept raw, counted, never dropped)
    subject: str | None = None  # project for FeeLedger events, commitment for registry events
    topics: bytes = Field(sa_type=LargeBinary)  # the 32-byte topic words, concatenated
    data: bytes = Field(sa_type=LargeBinary)


class FeeAssessment(EventProof, table=True):
    __tablename__ = "fee_assessments"
    __table_args__ = (Index("ix_fee_assessments_project", "chain_id", "project"),)
    project: str
    payer: str
    revision: int
    shortfall_area: int = big()
    rate_fen_per_m2: int = big()
    rate_table_version: int
    amount_fen: int = big()
    basis_hash: str


class FeeAdjustment(EventProof, table=True):
    __tablename__ = "fee_adjustments"
    __table_args__ = (Index("ix_fee_adjustments_project", "chain_id", "project"),)
    project: str
    reason: str  # the reason code, decoded from its bytes32 ASCII form
    delta_fen: int = big()
    document_hash: str


class Payment(EventProof, table=True):
    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_project", "chain_id", "project"),
        Index("ux_payments_voucher", "chain_id", "voucher", unique=True),
    )
    project: str
    voucher: str
    amount_fen: int = big()
    paid_at: int = big()


class Refund(EventProof, table=True):
    __tablename__ = "refunds"
    __table_args__ = (
        Index("ix_refunds_project", "chain_id", "project"),
        Index("ux_refunds_ref", "chain_id", "refund_ref", unique=True),
    )
    project: str
    refund_ref: str
    amount_fen: int = big()
    refunded_at: int = big()


class CommitmentEvent(EventProof, table=True):
    """The history of every commitment: one row per lifecycle event."""

    __tablename__ = "commitment_events"
    __table_args__ = (
        Index("ix_commitment_events_commitment", "chain_id", "commitment"),
        Index("ix_commitment_events_enterprise", "chain_id", "enterprise"),
    )
    commitment: str
    enterprise: str
    project: str | None = None  # recorded
    kind: str | None = None  # recorded
    event: str  # recorded, fulfilled, marked_overdue, breached, repaired, extended
    status: str  # the commitment's status after this event
    due_at: int | None = big(default=None)  # recorded / extended
    late: bool | None = None  # fulfilled
    document_hash: str | None = None  # terms, evidence, reason or extension document


class RoleEvent(EventProof, table=True):
    """Who held which role when: RoleGranted / RoleRevoked / RoleAdminChanged."""

    __tablename__ = "role_events"
    contract: str
    address: str
    event: str
    role: str
    account: str  # for RoleAdminChanged: the new admin role
    sender: str  # for RoleAdminChanged: the previous admin role


class PauseEvent(EventProof, table=True):
    __tablename__ = "pause_events"
    contract: str
    address: str
    paused: bool
    account: str


class LatestProof(SQLModel):
    """The proof of the latest event that changed an aggregate row."""

    block_number: int = big()
    log_index: int
    block_hash: str
    transaction_hash: str


class FeeAccount(LatestProof, table=True):
    __tablename__ = "fee_accounts"
    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    project: str = Field(primary_key=True)
    payer: str
    revision: int
    due_fen: int = big()
    paid_fen: int = big()
    refunded_fen: int = big()
    status: str  # unassessed, assessed, partially_paid, paid, overpaid, exempt


class Commitment(LatestProof, table=True):
    __tablename__ = "commitments"
    __table_args__ = (Index("ix_commitments_enterprise", "chain_id", "enterprise"),)
    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    commitment: str = Field(primary_key=True)
    project: str = Field(index=True)
    enterprise: str
    kind: str  # shelter_build, fee_payment, materials, peacetime_use
    due_at: int = big()
    recorded_block: int = big()
    status: str
    fulfilled_late: bool


class EnterpriseCommitmentSummary(LatestProof, table=True):
    __tablename__ = "enterprise_commitment_summaries"
    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    enterprise: str = Field(primary_key=True)
    recorded: int
    fulfilled: int
    fulfilled_late: int
    overdue: int
    breached: int
    repaired: int


EVENT_TABLES = [RawEvent, FeeAssessment, FeeAdjustment, Payment, Refund, CommitmentEvent, RoleEvent, PauseEvent]
AGGREGATE_TABLES = [FeeAccount, Commitment, EnterpriseCommitmentSummary]
INDEXER_TABLES = [ChainState, IndexedBlock, IndexerLease]
