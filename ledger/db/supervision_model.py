"""Supervision tables: the notices an enterprise receives about its commitments (ledger.domain.notices),
the tax system's daily statements as it posted them, and the reconciliation runs with their findings
(ledger.domain.reconciliation). Times are unix seconds."""

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Column, Date, Index, Integer, Text, text
from sqlmodel import Field, SQLModel

# An auto-incrementing 64-bit key (SQLite auto-increments only INTEGER PRIMARY KEY).
SEQUENCE: Any = BigInteger().with_variant(Integer(), "sqlite")


class EnterpriseNotice(SQLModel, table=True):
    """One notice to an enterprise: a reminder before a due date, a commitment's outcome, or a step of its
    credit repair application (ledger.domain.repair_notices). Made once: (commitment, kind, due date) is
    unique for the first two, so a scan run again finds it made; (application, kind) for a repair step,
    since one commitment may see several applications (and rejections) on the same day."""

    __tablename__ = "enterprise_notices"
    __table_args__ = (
        Index(
            "ux_enterprise_notices_once",
            "commitment_number",
            "kind",
            "due_date",
            unique=True,
            postgresql_where=text("repair_application_id IS NULL"),
            sqlite_where=text("repair_application_id IS NULL"),
        ),
        Index("ux_enterprise_notices_repair_once", "repair_application_id", "kind", unique=True),
        Index("ix_enterprise_notices_enterprise", "enterprise_uscc", "id"),
        Index("ix_enterprise_notices_notified", "notified_at"),
    )
    id: int | None = Field(default=None, primary_key=True, sa_type=SEQUENCE)
    enterprise_uscc: str
    project_code: str
    commitment_number: str
    kind: str  # due_in_7d (any configured number of days), overdue, breached, repaired, inspection_<outcome>,
    # repair_published, repair_rejected, repair_approved
    # a repair step: its notice period's end (published), else the day it was decided
    due_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    transaction_hash: str | None = None  # the outcome's proof (None for a reminder)
    created_at: float
    notified_at: float | None = None  # when its webhook notices were created (ledger.webhooks)
    repair_application_id: str | None = None  # a repair step's application (None for the others)
    detail: str | None = Field(default=None, sa_type=Text)  # a rejection's reason


class TaxStatementLine(SQLModel, table=True):
    """One line of the tax system's statement of a day, as it last posted it (POST /v1/tax/reconciliations)."""

    __tablename__ = "tax_statement_lines"
    day: dt.date = Field(sa_column=Column(Date, primary_key=True))
    voucher_number: str = Field(primary_key=True)
    levy_number: str
    amount_fen: int = Field(sa_type=BigInteger)
    paid_at: int = Field(sa_type=BigInteger)
    received_at: float


WORKER_RUNNING = "status = 'running' AND \"trigger\" IN ('daily', 'on_demand')"


class ReconciliationRun(SQLModel, table=True):
    """One reconciliation: requested (on demand, waiting for the worker), then done with its counts."""

    __tablename__ = "reconciliation_runs"
    __table_args__ = (  # the worker runs one at a time: of two beat ticks at once, one starts it
        Index(
            "ux_reconciliation_runs_one_worker_run",
            "status",
            unique=True,
            postgresql_where=text(WORKER_RUNNING),
            sqlite_where=text(WORKER_RUNNING),
        ),
    )
    id: int | None = Field(default=None, primary_key=True, sa_type=SEQUENCE)
    trigger: str  # daily, on_demand, cli
    requested_by: str
    status: str = Field(index=True)  # requested, running, done, failed
    requested_at: float
    started_at: float | None = None  # when a worker (or the command line) began it
    finished_at: float | None = None
    counts: str = Field(default="{}", sa_type=Text)  # JSON: finding kind -> how many
    checked: str = Field(default="{}", sa_type=Text)  # JSON: what was looked at (projects, vouchers, ...)
    error: str | None = None


class ReconciliationFinding(SQLModel, table=True):
    """One discrepancy a run found, with what it is about and its proofs."""

    __tablename__ = "reconciliation_findings"
    id: int | None = Field(default=None, primary_key=True, sa_type=SEQUENCE)
    run_id: int = Field(sa_type=BigInteger, index=True)
    kind: str
    subject: str  # the project code, voucher number, commitment number or read-model table row
    project_code: str | None = None
    detail: str
    proofs: str = Field(default="[]", sa_type=Text)  # JSON list of transaction hashes


SUPERVISION_TABLES = [EnterpriseNotice, TaxStatementLine, ReconciliationRun, ReconciliationFinding]
