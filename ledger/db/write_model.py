"""Write-model tables: the off-chain state the API accepts, and the outbox that carries it to the chain
(webhook tables: ledger.db.webhook_model).

Business keys (project code, voucher number, refund reference, commitment number, levy number)
are primary keys. A voucher, refund reference or commitment number whose command failed may be
sent again corrected: the correction replaces its row, the failed command stays in the outbox
(ledger.domain.business_keys). Personal data (enterprise names, contact people, phone
numbers) is stored only as ledger.core.field_encryption tokens. Money is integer fen, area integer
0.01 m², chain times unix seconds, bookkeeping times unix seconds as floats.
"""

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Column, Date, Index, Integer, LargeBinary, Text
from sqlmodel import Field, SQLModel

# An auto-incrementing 64-bit key (SQLite auto-increments only INTEGER PRIMARY KEY).
# (an instance, which SQLModel's sa_type takes though it is typed as a class)
SEQUENCE: Any = BigInteger().with_variant(Integer(), "sqlite")


def big(**kw) -> Any:
    return Field(sa_type=BigInteger, **kw)


class Enterprise(SQLModel, table=True):
    __tablename__ = "enterprises"
    uscc: str = Field(primary_key=True)
    enterprise_key: str  # HMAC-SHA256(pepper, USCC), 0x-hex: the only form that reaches the chain
    name_token: str  # encrypted (ledger.core.field_encryption)
    contact_person_token: str | None = None
    contact_phone_token: str | None = None
    created_at: float
    updated_at: float


class Project(SQLModel, table=True):
    __tablename__ = "projects"
    project_code: str = Field(primary_key=True)
    project_key: str = Field(unique=True)  # keccak256(project_code), 0x-hex
    name: str
    builder_uscc: str = Field(foreign_key="enterprises.uscc", index=True)
    district: str
    required_shelter_area: int = big()
    built_shelter_area: int = big()
    stage: str
    registered_by: str
    created_at: float
    updated_at: float


class Levy(SQLModel, table=True):
    """What the tax system is asked to collect: an assessment, or a supplementary charge (补缴)."""

    __tablename__ = "levies"
    seq: int | None = Field(default=None, primary_key=True, sa_type=SEQUENCE)  # the feed's cursor
    levy_number: str = Field(unique=True)
    project_code: str = Field(foreign_key="projects.project_code", index=True)
    payer_uscc: str = Field(index=True)
    kind: str  # assessment, supplementary
    amount_fen: int = big()
    status: str  # open, cancelled (superseded by a reassessment)
    shortfall_area: int | None = big(default=None)
    rate_fen_per_m2: int | None = big(default=None)
    rate_table_version: int | None = None
    basis_hash: str | None = None
    command_id: str
    created_at: float


class PaymentConfirmation(SQLModel, table=True):
    __tablename__ = "payment_confirmations"
    __table_args__ = (Index("ix_payment_confirmations_paid_at", "paid_at"),)
    voucher_number: str = Field(primary_key=True)
    levy_number: str = Field(index=True)
    project_code: str = Field(index=True)
    amount_fen: int = big()
    paid_at: int = big()
    payer_uscc: str
    client: str
    command_id: str
    created_at: float


class RefundRequest(SQLModel, table=True):
    __tablename__ = "refund_requests"
    refund_reference: str = Field(primary_key=True)
    levy_number: str
    project_code: str = Field(index=True)
    amount_fen: int = big()
    refunded_at: int = big()
    client: str
    command_id: str
    created_at: float


class AdjustmentRequest(SQLModel, table=True):
    __tablename__ = "adjustment_requests"
    id: str = Field(primary_key=True)
    project_code: str = Field(index=True)
    reason_code: str
    kind: str  # relief (a share of the base, survives reassessment) or adjustment (a fixed amount)
    relief_bps: int | None = None  # relief: basis points of the base (10,000 = exempt)
    delta_fen: int = big()  # adjustment: the amount; relief: its effect on the levy when made
    document_sha256: str
    actor: str
    command_id: str
    created_at: float


class OfficeApproval(SQLModel, table=True):
    """A reduction above the four-eyes threshold, held until a second office user approves it; the
    approval enqueues the command (ledger.domain.approvals)."""

    __tablename__ = "office_approvals"
    id: str = Field(primary_key=True)
    project_code: str = Field(index=True)
    reason_code: str
    delta_fen: int | None = big(default=None)  # as AdjustmentCreate: None = the policy's relief
    document_sha256: str
    reduction_fen: int = big()  # how much the levy would go down, when requested
    # what the requester saw, checked again at approval (None: requested before 0018 kept them)
    levy_fen: int | None = big(default=None)
    relief_bps: int | None = None
    requested_by: str
    requested_at: float
    status: str = Field(index=True)  # awaiting | approved | declined
    approved_by: str | None = None
    approved_at: float | None = None
    declined_by: str | None = None  # the requester withdrawing it, or another officer declining it
    declined_at: float | None = None
    command_id: str | None = None


class CommitmentRecord(SQLModel, table=True):
    __tablename__ = "commitment_records"
    commitment_number: str = Field(primary_key=True)
    commitment_key: str  # keccak256(commitment_number), 0x-hex
    project_code: str = Field(index=True)
    enterprise_uscc: str = Field(index=True)
    kind: str
    due_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    due_at: int = big()
    terms_sha256: str
    client: str
    command_id: str
    created_at: float


class CommitmentDocument(SQLModel, table=True):
    """Every decision on a commitment, with the document that supports it."""

    __tablename__ = "commitment_documents"
    id: str = Field(primary_key=True)
    commitment_number: str = Field(index=True)
    action: str  # fulfil, breach, extend, repair
    document_sha256: str
    new_due_date: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    actor: str
    command_id: str
    created_at: float


class AcceptanceReportRecord(SQLModel, table=True):
    __tablename__ = "acceptance_reports"
    id: str = Field(primary_key=True)
    project_code: str = Field(index=True)
    passed: bool
    surveyed_shelter_area: int = big()
    report_sha256: str
    delta_fen: int = big()
    client: str
    created_at: float


class OutboxCommand(SQLModel, table=True):
    """One contract write waiting for, or carried by, a transaction."""

    __tablename__ = "outbox_commands"
    __table_args__ = (
        Index("ix_outbox_commands_status_seq", "status", "seq"),
        Index("ix_outbox_commands_project_status_seq", "project_code", "status", "seq"),
        Index("ix_outbox_commands_transaction", "transaction_id"),
        Index("ix_outbox_commands_notified", "notified_at", "status"),
        Index("ix_outbox_commands_reference_status", "reference", "status"),  # a business key's attempts
    )
    seq: int | None = Field(default=None, primary_key=True, sa_type=SEQUENCE)  # the order of acceptance
    id: str = Field(unique=True)  # public command id
    kind: str  # see ledger.outbox.kinds.KINDS
    role: str  # the role that signs it
    reference: str  # business key: voucher, commitment number, project code...
    project_code: str  # commands of one project reach the chain in order
    args: str = Field(sa_type=Text)  # JSON
    status: str  # accepted, submitted, mined, indexed, failed
    attempts: int = 0
    transaction_id: int | None = big(default=None)
    transaction_hash: str | None = None
    block_number: int | None = big(default=None)
    error_name: str | None = None
    error_args: str | None = None  # JSON list
    client: str
    created_at: float
    submitted_at: float | None = None
    mined_at: float | None = None
    indexed_at: float | None = None
    notified_at: float | None = None  # when its webhook notices were created (after `indexed`)


class OutboxTransaction(SQLModel, table=True):
    """A signed transaction, stored before it is sent: after a crash it is re-sent byte for byte
    (same nonce, same hash), so a command can never land twice."""

    __tablename__ = "outbox_transactions"
    __table_args__ = (
        Index("ux_outbox_transactions_sender_nonce", "chain_id", "sender", "nonce", unique=True),
        Index("ix_outbox_transactions_status", "status"),
    )
    id: int | None = Field(default=None, primary_key=True, sa_type=SEQUENCE)
    chain_id: int = big()
    sender: str
    nonce: int = big()
    transaction_hash: str = Field(unique=True)
    raw: bytes = Field(sa_type=LargeBinary)
    status: str  # sent, mined, reverted, dropped
    block_number: int | None = big(default=None)
    created_at: float
    settled_at: float | None = None


WRITE_TABLES = [
    Enterprise,
    Project,
    Levy,
    PaymentConfirmation,
    RefundRequest,
    AdjustmentRequest,
    CommitmentRecord,
    CommitmentDocument,
    AcceptanceReportRecord,
    OutboxCommand,
    OutboxTransaction,
]
