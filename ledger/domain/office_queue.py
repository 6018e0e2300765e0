"""The office's work queue (人防办待办): what waits for an officer today.

Projects registered but never assessed, commitments due within a week or already past their due
date that no one has decided on yet, and enterprises' fulfilment evidence awaiting review
(ledger.domain.evidence), and the random inspections (ledger.domain.draw_office) still to reveal or
with selected commitments still to inspect. (The office page adds the reductions awaiting a second officer,
ledger.domain.approvals, and the tickets awaiting an answer, ledger.domain.tickets.) And the credit
repair applications awaiting the office: to publish, on notice, or past their notice period and ready
for a decision (ledger.domain.repairs)."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.read_model import Commitment as CommitmentView
from ledger.db.write_model import CommitmentRecord, Levy, OutboxCommand, Project
from ledger.domain.common import today
from ledger.domain.draw_office import office_draws
from ledger.domain.evidence import Submission, awaiting_review
from ledger.domain.repairs import Application, awaiting_office
from ledger.domain.schemas.inspections import OfficeDrawPublic
from ledger.outbox.commands import FAILED

DUE_SOON_DAYS = 7
OPEN_STATUSES = ("pending", "recorded", "extended", "overdue")  # not yet fulfilled, breached or repaired


@dataclass(frozen=True)
class UnassessedProject:
    project_code: str
    name: str
    district: str


@dataclass(frozen=True)
class CommitmentDue:
    commitment_number: str
    project_code: str
    kind: str
    due_date: date
    status: str
    overdue: bool


@dataclass(frozen=True)
class WorkQueue:
    to_assess: list[UnassessedProject]
    commitments_due: list[CommitmentDue]
    evidence_to_review: list[Submission]
    repair_applications: list[Application]
    draws_open: list[OfficeDrawPublic] = field(default_factory=list)


def work_queue(session: Session, *, limit: int = 200) -> WorkQueue:
    return WorkQueue(
        to_assess=_unassessed(session, limit),
        commitments_due=_commitments_due(session, limit),
        evidence_to_review=awaiting_review(session, limit=limit),
        repair_applications=awaiting_office(session, limit=limit),
        draws_open=[d for d in office_draws(session, limit=limit) if d.open],
    )


def _unassessed(session: Session, limit: int) -> list[UnassessedProject]:
    """Projects with no assessment levy whose command has not failed."""
    assessed = (
        select(col(Levy.project_code))
        .join(OutboxCommand, col(OutboxCommand.id) == col(Levy.command_id))
        .where(col(Levy.kind) == "assessment", col(OutboxCommand.status) != FAILED)
    )
    rows = session.execute(
        select(Project)
        .where(col(Project.project_code).not_in(assessed))
        .order_by(col(Project.created_at), col(Project.project_code))
        .limit(limit)
    ).scalars()
    return [UnassessedProject(p.project_code, p.name, p.district) for p in rows]


def _commitments_due(session: Session, limit: int) -> list[CommitmentDue]:
    """Undecided commitments due by a week from today, the most overdue first."""
    horizon = today() + timedelta(days=DUE_SOON_DAYS)
    records = (
        session.execute(
            select(CommitmentRecord)
            .where(col(CommitmentRecord.due_date) <= horizon)
            .order_by(col(CommitmentRecord.due_date), col(CommitmentRecord.commitment_number))
            .limit(limit)
        )
        .scalars()
        .all()
    )
    keys = [r.commitment_key for r in records]
    statuses = (
        dict(
            session.execute(
                select(col(CommitmentView.commitment), col(CommitmentView.status)).where(
                    col(CommitmentView.commitment).in_(keys)
                )
            )
            .tuples()
            .all()
        )
        if keys
        else {}
    )
    due = []
    for r in records:
        status = statuses.get(r.commitment_key, "pending")
        if status in OPEN_STATUSES:
            due.append(
                CommitmentDue(r.commitment_number, r.project_code, r.kind, r.due_date, status, r.due_date < today())
            )
    return due
