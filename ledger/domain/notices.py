"""Notices to an enterprise about its commitments: reminders before a due date and the outcomes the
chain recorded (overdue, breached, repaired; an inspection's outcome once inspections exist).

A notice is made once: (commitment, kind, due date) is unique, so a scan run again, or two at once,
adds nothing. Reminders follow the due date the chain holds, so an extended commitment is reminded of
its new date, and a fulfilled (or otherwise closed) one of nothing. Each reminder fires in its own
window: the 7-day one from 7 days before the due date until the 1-day one takes over. The approval
system hears reminders as `commitment.due_soon` webhooks (ledger.webhooks); outcomes reach it as the
commands that made them are indexed.
"""

import time
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.bulk import insert_new
from ledger.db.read_model import Commitment as CommitmentView
from ledger.db.read_model import CommitmentEvent
from ledger.db.supervision_model import EnterpriseNotice
from ledger.db.write_model import CommitmentRecord
from ledger.domain.common import SHANGHAI, from_unix, read_model_chain_id
from ledger.domain.schemas.enterprise import NoticePublic

DAY_SECONDS = 86_400
OPEN = ("recorded", "extended")
# commitment event → notice kind
OUTCOMES = {"marked_overdue": "overdue", "breached": "breached", "repaired": "repaired"}
INSPECTION = "inspection"  # an inspection's outcome: nothing makes it yet (the inspections contract is to come)


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
    rows = _reminders(session, chain_id, now, sorted(set(reminder_days))) + _outcomes(session, chain_id)
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
    """Every overdue mark, breach and repair the chain recorded (those with a notice are skipped on insert)."""
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
        )
        for r in rows
    ]
