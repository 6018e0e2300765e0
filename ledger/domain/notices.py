"""Notices to an enterprise about its commitments: reminders before a due date and the outcomes the
chain recorded (overdue, breached, repaired, and each random inspection's outcome); the steps of a
repair application are told as they happen (ledger.domain.repair_notices) and listed here with them.

A notice is made once: (commitment, kind, due date) is unique, so a scan run again, or two at once,
adds nothing. Reminders follow the due date the chain holds, so an extended commitment is reminded of
its new date (never of the date it was moved from), and a fulfilled (or otherwise closed) one of
nothing; nor is one whose evidence awaits the office's review (pending on chain, or its submission or
fulfilment still on its way). Each reminder fires in its own window: the 7-day one from 7 days before
the due date until the 1-day one takes over.

The scan is incremental: it reads only the outcome events that have no notice yet (an anti-join in
SQL on the commitment, the notice kind and the event's transaction), not every event on each tick.
An inspection outcome is noticed only for a commitment its draw selected (the selection kept by
ledger.domain.inspections.store_selections, which the scan refreshes first), as the credit scorer
counts it. The approval system hears reminders as `commitment.due_soon` webhooks (ledger.webhooks);
outcomes reach it as the commands that made them are indexed (`commitment.inspected` for inspections).
"""

import time
from collections.abc import Sequence
from datetime import date

from sqlalchemy import case, exists, select
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.bulk import insert_new
from ledger.db.inspection_model import InspectionSelection
from ledger.db.read_model import Commitment as CommitmentView
from ledger.db.read_model import CommitmentEvent, InspectionDrawEvent, InspectionOutcome
from ledger.db.supervision_model import EnterpriseNotice
from ledger.db.write_model import CommitmentRecord, OutboxCommand
from ledger.domain.common import SHANGHAI, from_unix, read_model_chain_id
from ledger.domain.inspections import store_selections
from ledger.domain.schemas.enterprise import NoticePublic

DAY_SECONDS = 86_400
OPEN = ("recorded", "extended")
# commitment event → notice kind
OUTCOMES = {"marked_overdue": "overdue", "breached": "breached", "repaired": "repaired"}
INSPECTION = (
    "inspection"  # an inspection's outcome: kind inspection_<outcome> (conforms, minor_findings, false_commitment)
)
# commands that put evidence before the office (or decide it): no reminder while one is on its way
EVIDENCE_COMMANDS = ("submit_evidence", "fulfil_commitment", "fulfil_by_acceptance")
IN_FLIGHT = ("accepted", "submitted", "mined")


def inspection_kind(outcome: str) -> str:
    return f"{INSPECTION}_{outcome}"


def reminder_kind(days: int) -> str:
    return f"due_in_{days}d"


def due_date_of(due_at: int) -> date:
    """The Shanghai calendar day of a deadline (a due date ends at 23:59:59 that day)."""
    return from_unix(due_at).astimezone(SHANGHAI).date()


def scan_notices(session: Session, *, now: int, reminder_days: list[int]) -> int:
    """Make the notices due at `now` (the chain's time) that are not made yet; returns how many were made."""
    chain_id = read_model_chain_id(session)
    if chain_id is None:
        return 0
    store_selections(session)
    rows = (
        _reminders(session, chain_id, now, sorted(set(reminder_days)))
        + _outcomes(session, chain_id)
        + _inspections(session, chain_id)
    )
    if not rows:
        return 0
    made = session.execute(insert_new(session, EnterpriseNotice).returning(col(EnterpriseNotice.id)), rows)
    return len(made.all())


def _reminders(session: Session, chain_id: int, now: int, days: list[int]) -> list[dict]:
    """Open commitments within the longest reminder's reach, each with the one reminder whose window holds `now`."""
    open_commitments = session.execute(
        select(
            col(CommitmentRecord.commitment_number),
            col(CommitmentRecord.enterprise_uscc),
            col(CommitmentRecord.project_code),
            col(CommitmentView.due_at),
        )
        .join(CommitmentView, col(CommitmentView.commitment) == col(CommitmentRecord.commitment_key))
        .where(
            col(CommitmentView.chain_id) == chain_id,
            col(CommitmentView.status).in_(OPEN),
            col(CommitmentView.due_at) > now,
            col(CommitmentView.due_at) <= now + days[-1] * DAY_SECONDS,
            col(CommitmentView.evidence_submitted_at) == 0,  # evidence awaits review: no reminder
            col(CommitmentRecord.commitment_number).not_in(
                select(col(OutboxCommand.reference)).where(
                    col(OutboxCommand.kind).in_(EVIDENCE_COMMANDS), col(OutboxCommand.status).in_(IN_FLIGHT)
                )
            ),
        )
    ).all()
    created = time.time()
    rows = []
    for number, uscc, project, due_at in open_commitments:
        nearest = min(d for d in days if due_at - d * DAY_SECONDS <= now)
        rows.append(
            {
                "enterprise_uscc": uscc,
                "project_code": project,
                "commitment_number": number,
                "kind": reminder_kind(nearest),
                "due_date": due_date_of(due_at),
                "transaction_hash": None,
                "created_at": created,
            }
        )
    return rows


def _outcomes(session: Session, chain_id: int) -> list[dict]:
    """The overdue marks, breaches and repairs the chain recorded that have no notice yet."""
    events: Sequence = session.execute(
        select(
            col(CommitmentRecord.commitment_number),
            col(CommitmentRecord.enterprise_uscc),
            col(CommitmentRecord.project_code),
            col(CommitmentEvent.event),
            col(CommitmentEvent.due_at),
            col(CommitmentView.due_at).label("current_due_at"),
            col(CommitmentEvent.transaction_hash),
        )
        .join(CommitmentEvent, col(CommitmentEvent.commitment) == col(CommitmentRecord.commitment_key))
        .join(
            CommitmentView,
            (col(CommitmentView.commitment) == col(CommitmentEvent.commitment))
            & (col(CommitmentView.chain_id) == col(CommitmentEvent.chain_id)),
        )
        .where(
            col(CommitmentEvent.chain_id) == chain_id,
            col(CommitmentEvent.event).in_(list(OUTCOMES)),
            ~exists().where(  # only the events not noticed yet
                col(EnterpriseNotice.commitment_number) == col(CommitmentRecord.commitment_number),
                col(EnterpriseNotice.kind) == case(OUTCOMES, value=col(CommitmentEvent.event)),
                col(EnterpriseNotice.transaction_hash) == col(CommitmentEvent.transaction_hash),
            ),
        )
        .order_by(col(CommitmentEvent.block_number), col(CommitmentEvent.log_index))
    ).all()
    created = time.time()
    return [
        {
            "enterprise_uscc": e.enterprise_uscc,
            "project_code": e.project_code,
            "commitment_number": e.commitment_number,
            "kind": OUTCOMES[e.event],
            "due_date": due_date_of(e.due_at if e.due_at is not None else e.current_due_at),
            "transaction_hash": e.transaction_hash,
            "created_at": created,
        }
        for e in events
    ]


def _inspections(session: Session, chain_id: int) -> list[dict]:
    """The inspection outcomes of selected commitments that have no notice yet."""
    events: Sequence = session.execute(
        select(
            col(CommitmentRecord.commitment_number),
            col(CommitmentRecord.enterprise_uscc),
            col(CommitmentRecord.project_code),
            col(InspectionOutcome.outcome),
            col(CommitmentView.due_at),
            col(InspectionOutcome.transaction_hash),
        )
        .join(InspectionOutcome, col(InspectionOutcome.commitment) == col(CommitmentRecord.commitment_key))
        .join(
            CommitmentView,
            (col(CommitmentView.commitment) == col(InspectionOutcome.commitment))
            & (col(CommitmentView.chain_id) == col(InspectionOutcome.chain_id)),
        )
        .join(
            InspectionDrawEvent,
            (col(InspectionDrawEvent.chain_id) == col(InspectionOutcome.chain_id))
            & (col(InspectionDrawEvent.draw) == col(InspectionOutcome.draw))
            & (col(InspectionDrawEvent.event) == "revealed"),
        )
        .join(
            InspectionSelection,
            (col(InspectionSelection.chain_id) == col(InspectionOutcome.chain_id))
            & (col(InspectionSelection.draw) == col(InspectionOutcome.draw))
            & (col(InspectionSelection.seed) == col(InspectionDrawEvent.seed))
            & (col(InspectionSelection.commitment) == col(InspectionOutcome.commitment)),
        )
        .where(
            col(InspectionOutcome.chain_id) == chain_id,
            ~exists().where(
                col(EnterpriseNotice.commitment_number) == col(CommitmentRecord.commitment_number),
                col(EnterpriseNotice.kind).startswith(INSPECTION),
                col(EnterpriseNotice.transaction_hash) == col(InspectionOutcome.transaction_hash),
            ),
        )
        .order_by(col(InspectionOutcome.block_number), col(InspectionOutcome.log_index))
    ).all()
    created = time.time()
    return [
        {
            "enterprise_uscc": e.enterprise_uscc,
            "project_code": e.project_code,
            "commitment_number": e.commitment_number,
            "kind": inspection_kind(e.outcome),
            "due_date": due_date_of(e.due_at),
            "transaction_hash": e.transaction_hash,
            "created_at": created,
        }
        for e in events
    ]


def notices_of_enterprise(session: Session, *, uscc: str, limit: int = 200) -> list[NoticePublic]:
    """An enterprise's notices, newest first."""
    rows = (
        session.execute(
            select(EnterpriseNotice)
            .where(col(EnterpriseNotice.enterprise_uscc) == uscc)
            .order_by(col(EnterpriseNotice.id).desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
    return [
        NoticePublic(
            commitment_number=r.commitment_number,
            project_code=r.project_code,
            kind=r.kind,
            due_date=r.due_date,
            transaction_hash=r.transaction_hash,
            created_at=from_unix(r.created_at),
            detail=r.detail,
        )
        for r in rows
    ]
