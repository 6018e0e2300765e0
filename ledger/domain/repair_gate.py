"""The rule a `repair` decision meets before it is queued (ledger.domain.commitments calls it; the
applications themselves are ledger.domain.repairs): no repair reaches the chain without a repair
application published for its whole notice period (信用修复公示), judged on the chain's clock, and the
repair carries that application's evidence digest."""

import time
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.repair_model import OPEN_REPAIR_STATUSES, RepairApplication
from ledger.db.write_model import CommitmentRecord
from ledger.domain import chain_time, repair_notices
from ledger.domain.common import SHANGHAI, from_unix
from ledger.domain.errors import InvalidState, NotFound, ValidationFailed


class NoticePeriodRunning(InvalidState):
    """A repair decided before its notice period ends: names the moment it ends (`ends_at`)."""

    def __init__(self, detail: str, *, ends_at: datetime):
        super().__init__(detail, field="action", rule="notice_period")
        self.ends_at = ends_at


def ends_text(moment: datetime) -> str:
    """A notice period's end as people read it: Beijing time, to the minute."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def claim_for_repair(session: Session, *, record: CommitmentRecord, document_sha256: str) -> RepairApplication:
    """The rule a `repair` decision must meet (ledger.domain.commitments calls it before queueing): the
    commitment has a published application whose notice period has ended on the chain's clock, and the
    document is its evidence digest. Returns the application, for `mark_approved` once queued."""
    row = session.execute(
        select(RepairApplication).where(
            col(RepairApplication.commitment_number) == record.commitment_number,
            col(RepairApplication.status).in_(OPEN_REPAIR_STATUSES),
        )
    ).scalar_one_or_none()
    if row is None or row.status != "published" or row.notice_ends_at is None:
        state = "none" if row is None else "one not yet published"
        raise InvalidState(
            f"commitment {record.commitment_number} has {state}: a repair needs a repair application "
            "published for its notice period (信用修复公示)",
            field="action",
            rule="repair_application_required",
        )
    now = chain_time.chain_clock().now()
    if now < row.notice_ends_at:
        ends = from_unix(row.notice_ends_at)
        assert ends is not None
        raise NoticePeriodRunning(
            f"the notice period of the repair of commitment {record.commitment_number} ends at "
            f"{ends_text(ends)} Beijing time ({ends.isoformat()}); it can be approved from then on",
            ends_at=ends,
        )
    if document_sha256.lower() != row.evidence_digest:
        raise ValidationFailed(
            f"a repair goes on chain with its application's evidence digest {row.evidence_digest}",
            field="document_sha256",
            rule="application_evidence",
        )
    return row


def mark_approved(session: Session, *, application: RepairApplication, actor: str, command_id: str) -> None:
    """The repair is queued: the application is approved (one conditional UPDATE: a second approval loses)
    and the enterprise is told (ledger.domain.repair_notices)."""
    transition(
        session,
        application.id,
        ("published",),
        "approved",
        rule="published_only",
        decided_by=actor,
        decided_at=time.time(),
        command_id=command_id,
        open_commitment=None,
    )
    session.refresh(application)
    repair_notices.notify_repair_step(session, application=application, kind=repair_notices.APPROVED)


def transition(session: Session, application_id: str, frm: tuple[str, ...], to: str, *, rule: str, **values) -> None:
    current = session.get(RepairApplication, application_id)
    if current is None:
        raise NotFound(f"no repair application {application_id}", field="application_id", rule="known_application")
    changed = session.execute(
        update(RepairApplication)
        .where(col(RepairApplication.id) == application_id, col(RepairApplication.status).in_(frm))
        .values(status=to, **values)
        .execution_options(synchronize_session="fetch")
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidState(
            f"repair application {application_id} is {current.status}: it cannot become {to}",
            field="application_id",
            rule=rule,
        )
    session.flush()
