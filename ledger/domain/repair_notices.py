"""The enterprise's notices of its credit repair application's steps (issue 17): published (with the
day its notice period ends), rejected (with the reason) and approved (the repair queued for the chain;
the chain's `repaired` outcome follows as its own notice, ledger.domain.notices).

Each is made in the transaction of the step itself, once: (application, kind) is unique, so a retried
or doubled request adds nothing (the conditional UPDATE of the step refuses the second anyway). No
webhook goes out for these steps: the approval system hears the outcome the chain records
(`commitment.repaired`, ledger.webhooks), and publication is public through the announcements.
"""

import time

from sqlalchemy.orm import Session

from ledger.db.bulk import insert_new
from ledger.db.repair_model import RepairApplication
from ledger.db.supervision_model import EnterpriseNotice
from ledger.db.write_model import CommitmentRecord
from ledger.domain.common import SHANGHAI, from_unix

PUBLISHED = "repair_published"
REJECTED = "repair_rejected"
APPROVED = "repair_approved"
KINDS = (PUBLISHED, REJECTED, APPROVED)


def notify_repair_step(session: Session, *, application: RepairApplication, kind: str) -> None:
    """Tell the enterprise of the application's step `kind`, once (nothing when it was told already)."""
    if kind not in KINDS:
        raise ValueError(f"not a repair step notice kind: {kind}")
    now = time.time()
    moment = application.notice_ends_at if kind == PUBLISHED else application.decided_at
    day = from_unix(moment if moment is not None else now)
    assert day is not None
    record = session.get(CommitmentRecord, application.commitment_number)
    session.execute(
        insert_new(session, EnterpriseNotice).values(
            enterprise_uscc=application.enterprise_uscc,
            project_code=record.project_code if record is not None else "",
            commitment_number=application.commitment_number,
            kind=kind,
            due_date=day.astimezone(SHANGHAI).date(),
            transaction_hash=None,
            created_at=now,
            repair_application_id=application.id,
            detail=application.reason if kind == REJECTED else None,
        )
    )
