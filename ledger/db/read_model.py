"""Read-model tables: a mirror of every contract event, and projections derived from them.

Event rows are keyed by (chain_id, block_number, log_index) and carry their proof (block
hash, transaction hash). Aggregates (fee accounts, commitments, enterprise summaries) carry the
proof of the latest event that changed them; see ledger.indexer.aggregates for how they are
kept. Hashes and identifiers are 0x-prefixed lowercase hex; money is
integer fen, area integer 0.01 m², times unix seconds.

Every uint64 the contracts emit (amounts, areas, rates, fact times) is a `Uint64` column: the
whole range 0 … 2^64−1 is stored exactly (see `Uint64`). uint32 and int64 fit BIGINT.
"""

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Index, LargeBinary, Numeric, text
from sqlalchemy.sql.selectable import TextualSelect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

INT64_MAX = 2**63 - 1


class Uint64(TypeDecorator):
    """An unsigned 64-bit integer, exact over its whole range.

    PostgreSQL: NUMERIC(20, 0). SQLite (whose INTEGER is signed 64-bit, and which turns a larger
    number into a lossy REAL): an INTEGER up to 2^63−1 and, above, the value's 8 big-endian bytes
    as a BLOB. SQLite orders every BLOB after every INTEGER and BLOBs bytewise, so comparisons and
    ORDER BY keep the numeric order, and the usual range needs no conversion at all. Raw SQL reads
    of a SQLite column would see such a BLOB: they go through `read_sql`. Sums are folded in Python
    (ledger.indexer.aggregates), never in SQL."""

    impl = BigInteger
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(Numeric(20, 0) if dialect.name == "postgresql" else BigInteger())

    def process_bind_param(self, value, dialect):
        return value if dialect.name == "postgresql" else to_sqlite(value)

    def process_result_value(self, value, dialect):
        return from_db(value)


def to_sqlite(value):
    """A uint64 in its SQLite form (an INTEGER, or 8 big-endian bytes above 2^63−1)."""
    return value.to_bytes(8, "big") if isinstance(value, int) and value > INT64_MAX else value


def from_db(value):
    """A stored uint64 back to a Python int, whichever form the database returned it in."""
    if isinstance(value, (bytes, memoryview)):
        return int.from_bytes(value, "big")
    if isinstance(value, Decimal):
        return int(value)
    return value


def big(**kw) -> Any:
    return Field(sa_type=BigInteger, **kw)


def u64(**kw) -> Any:
    return Field(sa_type=Uint64, **kw)


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


class EventProofColumns(SQLModel):
    """The columns every event row carries: its key on chain and its proof (block and transaction hash)."""

    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    block_number: int = Field(primary_key=True, sa_type=BigInteger)
    log_index: int = Field(primary_key=True)
    block_hash: str
    transaction_hash: str


class BlockTime(SQLModel, table=True):
    """The time of every block that holds an indexed event: part of each event's proof, and what
    "as of a date" means for the credit record (what the chain held by then)."""

    __tablename__ = "block_times"
    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    block_number: int = Field(primary_key=True, sa_type=BigInteger)
    block_hash: str
    timestamp: int = big()  # unix seconds, as the block header says


class RawEvent(EventProofColumns, table=True):
    """Every log of the manifest's contracts as the node returned it (ledger.chain.events decodes it)."""

    __tablename__ = "raw_events"
    contract: str
    address: str
    event: str | None = None  # None: a topic no ABI here declares (kept raw, counted, never dropped)
    # project (FeeLedger account events), commitment (registry commitment events), enterprise (CountersImported);
    # None otherwise
    subject: str | None = None
    topics: bytes = Field(sa_type=LargeBinary)  # the 32-byte topic words, concatenated
    data: bytes = Field(sa_type=LargeBinary)


class RateTable(EventProofColumns, table=True):
    """RateTablePublished: a rate table version, in effect from `effective_from`."""

    __tablename__ = "rate_tables"
    __table_args__ = (Index("ux_rate_tables_version", "chain_id", "version", unique=True),)
    version: int = big()
    effective_from: int = u64()
    district_count: int = big()
    basis_hash: str


class Rate(EventProofColumns, table=True):
    """RatePublished: fen per m² of one district in one rate table version."""

    __tablename__ = "rates"
    __table_args__ = (Index("ux_rates_version_district", "chain_id", "version", "district", unique=True),)
    version: int = big()
    district: int = big()
    rate_fen_per_m2: int = u64()


class FeeAssessment(EventProofColumns, table=True):
    __tablename__ = "fee_assessments"
    __table_args__ = (Index("ix_fee_assessments_project", "chain_id", "project"),)
    project: str
    payer: str
    revision: int = big()
    district: int = big()
    rate_table_version: int = big()
    rate_fen_per_m2: int = u64()
    shortfall_area: int = u64()
    base_fen: int = u64()
    due_fen: int = u64()  # the amount due after this event (relief and adjustments applied)
    assessed_at: int | None = u64(default=None)  # this (re)assessment's attested fact time; None from v2 contracts
    due_at: int = u64()
    basis_hash: str


class FeeRelief(EventProofColumns, table=True):
    """FeeReliefSet: relief (减免) as a share of the base, which survives reassessment."""

    __tablename__ = "fee_reliefs"
    __table_args__ = (Index("ix_fee_reliefs_project", "chain_id", "project"),)
    project: str
    reason: str  # the reason code, decoded from its bytes32 ASCII form
    relief_bps: int
    document_hash: str
    due_fen: int = u64()


class FeeAdjustment(EventProofColumns, table=True):
    __tablename__ = "fee_adjustments"
    __table_args__ = (Index("ix_fee_adjustments_project", "chain_id", "project"),)
    project: str
    reason: str  # the reason code, decoded from its bytes32 ASCII form
    delta_fen: int = big()
    document_hash: str
    due_fen: int = u64()


class Payment(EventProofColumns, table=True):
    """PaymentRecorded, and VoucherImported (`imported`: carried over from an earlier contract
    version; its amount is in the imported account, not added again)."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_project", "chain_id", "project"),
        Index("ux_payments_voucher", "chain_id", "voucher", unique=True),
    )
    project: str
    voucher: str
    amount_fen: int = u64()
    paid_at: int = u64()
    late: bool | None = None  # None for an imported voucher
    imported: bool = False


class Refund(EventProofColumns, table=True):
    """RefundRecorded, and RefundImported (`imported`, as for payments)."""

    __tablename__ = "refunds"
    __table_args__ = (
        Index("ix_refunds_project", "chain_id", "project"),
        Index("ux_refunds_ref", "chain_id", "refund_ref", unique=True),
    )
    project: str
    refund_ref: str
    amount_fen: int = u64()
    refunded_at: int = u64()
    reason: str | None = None  # None for an ordinary refund of the excess
    imported: bool = False


class OverRefund(EventProofColumns, table=True):
    """OverRefundFlagged (v3): a refund went `excess_fen` beyond what was refundable when it was
    recorded; `over_refunded_fen` is the account's new over-refunded total (a level)."""

    __tablename__ = "over_refunds"
    __table_args__ = (Index("ix_over_refunds_project", "chain_id", "project"),)
    project: str
    refund_ref: str
    excess_fen: int = u64()
    over_refunded_fen: int = u64()


class RefundOwedChange(EventProofColumns, table=True):
    """RefundOwedChanged: the refund owed to a project's payer, as a level."""

    __tablename__ = "refund_owed_changes"
    __table_args__ = (Index("ix_refund_owed_changes_project", "chain_id", "project"),)
    project: str
    owed_fen: int = u64()


class FeeAccountImport(EventProofColumns, table=True):
    """AccountImported: an account carried over from an earlier contract version."""

    __tablename__ = "fee_account_imports"
    __table_args__ = (Index("ix_fee_account_imports_project", "chain_id", "project"),)
    project: str
    payer: str
    district: int = big()
    rate_table_version: int = big()
    revision: int = big()
    relief_bps: int
    base_fen: int = u64()
    adjustment_fen: int = big()
    due_fen: int | None = u64(default=None)  # carried by the event from v3 on; None from v2 contracts
    paid_fen: int = u64()
    refunded_fen: int = u64()
    assessed_at: int = u64()
    due_at: int = u64()


class CommitmentEvent(EventProofColumns, table=True):
    """The history of every commitment: one row per lifecycle event."""

    __tablename__ = "commitment_events"
    __table_args__ = (
        Index("ix_commitment_events_commitment", "chain_id", "commitment"),
        Index("ix_commitment_events_enterprise", "chain_id", "enterprise"),
    )
    commitment: str
    enterprise: str
    project: str | None = None  # recorded / imported
    kind: str | None = None  # recorded / imported
    # recorded, imported, evidence_submitted, evidence_rejected, fulfilled, marked_overdue,
    # breached, repaired, extended
    event: str
    status: str | None = None  # the commitment's status after this event; None when it is unchanged
    due_at: int | None = u64(default=None)  # recorded / imported / extended / marked_overdue
    # When the fact happened (attested): signed (recorded, imported), evidence submitted,
    # fulfilled (the time that decided `late`), repaired.
    fact_at: int | None = u64(default=None)
    late: bool | None = None  # fulfilled / imported
    by_acceptance: bool | None = None  # fulfilled
    extensions: int | None = None  # extended / imported
    document_hash: str | None = None  # terms, evidence, report, reason or extension document
    # imported from v3 on (None from v2): the times the earlier version held
    recorded_at: int | None = u64(default=None)  # block time the commitment became known on chain
    overdue_at: int | None = u64(default=None)  # block time of its latest overdue mark, 0 if never
    evidence_submitted_at: int | None = u64(default=None)
    decided_at: int | None = u64(default=None)


class EnterpriseCountersImport(EventProofColumns, table=True):
    """CountersImported: an enterprise's counters carried over from an earlier contract version."""

    __tablename__ = "enterprise_counter_imports"
    __table_args__ = (Index("ix_enterprise_counter_imports_enterprise", "chain_id", "enterprise"),)
    enterprise: str
    recorded: int = big()
    fulfilled: int = big()
    fulfilled_late: int = big()
    overdue: int = big()
    breached: int = big()
    repaired: int = big()


class RoleEvent(EventProofColumns, table=True):
    """Who held which role when: RoleGranted / RoleRevoked / RoleAdminChanged."""

    __tablename__ = "role_events"
    contract: str
    address: str
    event: str
    role: str
    account: str  # for RoleAdminChanged: the new admin role
    sender: str  # for RoleAdminChanged: the previous admin role


class GovernanceEvent(EventProofColumns, table=True):
    """Settings and admin changes: OverdueGracePeriodSet, RefundReasonAllowed, ImportSealed and
    the DefaultAdmin transfer / delay events of AccessControlDefaultAdminRules."""

    __tablename__ = "governance_events"
    contract: str
    address: str
    event: str
    key: str | None = None  # the reason code, or the scheduled new admin
    value: str | None = None  # the new grace period or delay (seconds), "true"/"false", or the schedule


class PauseEvent(EventProofColumns, table=True):
    __tablename__ = "pause_events"
    contract: str
    address: str
    paused: bool
    account: str


class InspectionDrawEvent(EventProofColumns, table=True):
    """The history of every inspection draw: committed (with its terms), revealed (with its seed),
    expired. Each attempt of a draw is committed once, and revealed or expired at most once."""

    __tablename__ = "inspection_draw_events"
    __table_args__ = (Index("ix_inspection_draw_events_draw", "chain_id", "draw"),)
    draw: str
    attempt: int = big()
    event: str  # committed, revealed, expired
    reveal_block: int | None = u64(default=None)  # committed, expired
    pool_hash: str | None = None  # committed: the terms
    pool_size: int | None = big(default=None)
    roster_hash: str | None = None
    roster_size: int | None = big(default=None)
    commitments_to_pick: int | None = big(default=None)
    inspectors_to_pick: int | None = big(default=None)
    commitment: str | None = None  # committed: keccak256 of the terms, what the seed mixes in
    reveal_block_hash: str | None = None  # revealed
    seed: str | None = None  # revealed


class InspectionOutcome(EventProofColumns, table=True):
    """One inspected commitment of a revealed draw: conforms, minor_findings or false_commitment."""

    __tablename__ = "inspection_outcomes"
    __table_args__ = (
        Index("ix_inspection_outcomes_draw", "chain_id", "draw"),
        Index("ix_inspection_outcomes_commitment", "chain_id", "commitment"),
    )
    draw: str
    commitment: str
    outcome: str
    document_hash: str


class LatestProofColumns(SQLModel):
    """The proof of the latest event that changed an aggregate row's values."""

    block_number: int = big()
    log_index: int
    block_hash: str
    transaction_hash: str


class FeeAccount(LatestProofColumns, table=True):
    __tablename__ = "fee_accounts"
    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    project: str = Field(primary_key=True)
    payer: str
    district: int = big()
    rate_table_version: int = big()
    revision: int = big()
    relief_bps: int
    base_fen: int = u64()
    adjustment_fen: int = big()
    due_fen: int = u64()
    due_at: int = u64()
    paid_fen: int = u64()
    refunded_fen: int = u64()
    refund_owed_fen: int = u64()
    assessed_at: int | None = u64(default=None)  # the first assessment's fact time (None: assessed on v2)
    over_refunded_fen: int = u64(default=0)  # refunded beyond what was refundable (v3), for the office to resolve
    # assessed, partially_paid, paid, overpaid, exempt (relieved to nothing), nothing_owed (zero shortfall)
    status: str


class Commitment(LatestProofColumns, table=True):
    __tablename__ = "commitments"
    __table_args__ = (Index("ix_commitments_enterprise", "chain_id", "enterprise"),)
    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    commitment: str = Field(primary_key=True)
    project: str = Field(index=True)
    enterprise: str
    kind: str  # shelter_build, fee_payment, materials, peacetime_use
    status: str
    fulfilled_late: bool
    extensions: int
    signed_at: int = u64()
    due_at: int = u64()
    evidence_submitted_at: int = u64()  # the earliest pending evidence; 0 when none is pending
    decided_at: int = u64()  # fact time of the fulfilment or the latest repair; 0 before
    recorded_block: int = big()
    # block time it became known on chain (grace runs from max(due_at, recorded_at)); for an import,
    # the earlier version's (from v3 on) or the import's block time
    recorded_at: int = u64(default=0)
    overdue_at: int = u64(default=0)  # block time of its latest overdue mark; 0 if never marked


class EnterpriseCommitmentSummary(LatestProofColumns, table=True):
    """Per-enterprise counters, kept incrementally; the proof is that of the latest event
    that changed a counter (an extension or evidence changes none)."""

    __tablename__ = "enterprise_commitment_summaries"
    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    enterprise: str = Field(primary_key=True)
    recorded: int = big()
    fulfilled: int = big()
    fulfilled_late: int = big()
    overdue: int = big()
    breached: int = big()
    repaired: int = big()


EVENT_TABLES: list[type[SQLModel]] = [
    BlockTime,
    RawEvent,
    RateTable,
    Rate,
    FeeAssessment,
    FeeRelief,
    FeeAdjustment,
    Payment,
    Refund,
    OverRefund,
    RefundOwedChange,
    FeeAccountImport,
    CommitmentEvent,
    EnterpriseCountersImport,
    RoleEvent,
    GovernanceEvent,
    PauseEvent,
    InspectionDrawEvent,
    InspectionOutcome,
]
AGGREGATE_TABLES: list[type[SQLModel]] = [FeeAccount, Commitment, EnterpriseCommitmentSummary]
INDEXER_TABLES: list[type[SQLModel]] = [ChainState, IndexedBlock]  # the indexer's lease: ledger.db.lease

# Every Uint64 column of the read model by name (a name means the same quantity in every table;
# elsewhere it is a plain integer, which from_db leaves alone).
UINT64_COLUMNS = {
    column.name: Uint64
    for model in (*EVENT_TABLES, *AGGREGATE_TABLES)
    for column in model.__table__.columns  # type: ignore[attr-defined]  # set by SQLModel
    if isinstance(column.type, Uint64)
}


# An event row's proof with its block's time, for raw reads of an event table aliased `e`: select
# PROOF_WITH_BLOCK_TIME and add BLOCK_TIME_JOIN to the FROM clause.
PROOF_WITH_BLOCK_TIME = "e.chain_id, e.block_number, e.log_index, e.block_hash, e.transaction_hash, t.timestamp"
BLOCK_TIME_JOIN = "LEFT JOIN block_times t ON t.chain_id = e.chain_id AND t.block_number = e.block_number"


def read_sql(sql: str) -> TextualSelect:
    """Raw SQL over the read model: a result column named as a Uint64 column (`e.paid_at`, or an
    alias `AS amount_fen`) is read through the type, so it comes back an exact int on SQLite (not
    the BLOB above 2^63−1) and on PostgreSQL (not a Decimal). Every raw read of the read model goes
    through here (tests/test_layout.py checks the sources)."""
    return text(sql).columns(**UINT64_COLUMNS)
