"""Fulfilment evidence (履约证据): an enterprise uploads a document for one of its commitments, the office
reviews it.

Upload: the file is checked (ledger.domain.documents: not empty, within the size limit, PDF/PNG/JPEG by
its content), the registry's rules are judged before anything is written (the commitment is the
enterprise's, open on chain, with no earlier evidence still awaiting review), then the file is kept by
its digest and `submitEvidence` (digest, submission time) is enqueued: a 202 is a promise.
Review: accepting fulfils the commitment on chain with the evidence's digest (`fulfil`; the registry
dates the fulfilment at the evidence's submission); rejecting sends `rejectEvidence` with the digest of
the reason, whose text is kept here and shown to the enterprise, who may then answer with new evidence.
One submission per commitment awaits review at a time; a review is claimed by one conditional UPDATE, so
two clerks deciding at once cannot both send a command.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.core.crypto_profile import CryptoProfile
from ledger.db.evidence_model import EvidenceSubmission
from ledger.db.write_model import CommitmentRecord, OutboxCommand
from ledger.domain.commitments import commitments_of_enterprise, decide_commitment
from ledger.domain.common import from_unix
from ledger.domain.documents import DocumentStore, shown_name
from ledger.domain.errors import InvalidState, NotFound, ValidationFailed
from ledger.domain.schemas.common import CommandAccepted
from ledger.domain.schemas.enterprise import CommitmentPublic
from ledger.domain.schemas.office import CommitmentDecision
from ledger.outbox.commands import FAILED

MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class Submission:
    id: str
    commitment_number: str
    enterprise_uscc: str
    digest: str
    digest_algorithm: str
    media_type: str
    size: int
    file_name: str
    submitted_by: str
    submitted_at: datetime
    command_id: str
    command_status: str  # of submitEvidence: accepted, submitted, mined, indexed, failed
    review_status: str  # pending, accepted, rejected
    reason: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_command_id: str | None
    review_command_status: str | None

    @property
    def awaiting_review(self) -> bool:
        """Waiting for the office: not yet reviewed, and not refused by the chain."""
        return self.review_status == "pending" and self.command_status != FAILED


def enterprise_commitment(session: Session, *, uscc: str, commitment_number: str) -> CommitmentPublic:
    """The enterprise's own commitment; another's is NotFound, never a hint that it exists."""
    for commitment in commitments_of_enterprise(session, uscc=uscc):
        if commitment.commitment_number == commitment_number:
            return commitment
    raise NotFound(f"no commitment {commitment_number} of yours", field="commitment_number", rule="own_commitment")


def submit_evidence(
    session: Session,
    *,
    store: DocumentStore,
    uscc: str,
    username: str,
    commitment_number: str,
    content: bytes,
    file_name: str,
) -> Submission:
    """Keep the file and enqueue `submitEvidence`; refused (nothing written) when the file or the
    commitment's state breaks a rule."""
    enterprise_commitment(session, uscc=uscc, commitment_number=commitment_number)
    document = store.checked(content)
    # One upload at a time per commitment: on PostgreSQL a second upload waits here for the first to
    # commit, then reads it as awaiting review (SQLite runs one writer at a time).
    session.execute(
        select(col(CommitmentRecord.commitment_number))
        .where(col(CommitmentRecord.commitment_number) == commitment_number)
        .with_for_update()
    )
    if any(s.awaiting_review for s in history(session, commitment_number=commitment_number)):
        raise InvalidState(
            f"commitment {commitment_number} has evidence awaiting the office's review",
            field="commitment_number",
            rule="awaiting_review",
        )
    decision = CommitmentDecision(action="submit_evidence", document_sha256=document.digest)
    accepted = decide_commitment(session, commitment_number=commitment_number, decision=decision, actor=username)
    store.put(content)  # after every check: a refused upload keeps nothing (a rolled-back one, a harmless orphan)
    row = EvidenceSubmission(
        id=uuid.uuid4().hex,
        commitment_number=commitment_number,
        enterprise_uscc=uscc,
        digest=document.digest,
        digest_algorithm=document.algorithm,
        media_type=document.media_type,
        size=document.size,
        file_name=shown_name(file_name),
        submitted_by=username,
        submitted_at=time.time(),
        command_id=accepted.command_id,
    )
    session.add(row)
    session.flush()
    return get_submission(session, submission_id=row.id)


def history(session: Session, *, commitment_number: str) -> list[Submission]:
    """Every submission for the commitment, the latest first."""
    rows = session.execute(
        select(EvidenceSubmission)
        .where(col(EvidenceSubmission.commitment_number) == commitment_number)
        .order_by(col(EvidenceSubmission.submitted_at).desc())
    ).scalars()
    return _views(session, list(rows))


def awaiting_review(session: Session, *, limit: int = 200) -> list[Submission]:
    """The office's queue: submissions not yet reviewed, the oldest first (failed ones left out)."""
    rows = session.execute(
        select(EvidenceSubmission)
        .join(OutboxCommand, col(OutboxCommand.id) == col(EvidenceSubmission.command_id))
        .where(col(EvidenceSubmission.review_status) == "pending", col(OutboxCommand.status) != FAILED)
        .order_by(col(EvidenceSubmission.submitted_at))
        .limit(limit)
    ).scalars()
    return _views(session, list(rows))


def get_submission(session: Session, *, submission_id: str) -> Submission:
    row = session.get(EvidenceSubmission, submission_id)
    if row is None:
        raise NotFound(f"no evidence {submission_id}", field="submission_id", rule="known_submission")
    return _views(session, [row])[0]


def accept_evidence(session: Session, *, submission_id: str, actor: str) -> CommandAccepted:
    """The evidence suffices: fulfil the commitment on chain with the evidence's digest."""
    row = _claim(session, submission_id, actor, "accepted", None)
    decision = CommitmentDecision(action="fulfil", document_sha256=row.digest)
    accepted = decide_commitment(session, commitment_number=row.commitment_number, decision=decision, actor=actor)
    row.review_command_id = accepted.command_id
    session.flush()
    return accepted


def reject_evidence(
    session: Session, *, submission_id: str, reason: str, actor: str, profile: CryptoProfile
) -> CommandAccepted:
    """The evidence does not suffice: `rejectEvidence` with the digest of the reason (the overdue clock
    runs again); the enterprise sees the reason and may submit new evidence."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("a rejection needs a reason", field="reason", rule="required")
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationFailed(
            f"the reason is {len(reason)} characters; at most {MAX_REASON_CHARS}", field="reason", rule="max_length"
        )
    row = _claim(session, submission_id, actor, "rejected", reason)
    reason_digest = profile.digest(reason.encode()).hex()
    decision = CommitmentDecision(action="reject_evidence", document_sha256=reason_digest)
    accepted = decide_commitment(session, commitment_number=row.commitment_number, decision=decision, actor=actor)
    row.review_command_id = accepted.command_id
    session.flush()
    return accepted


def may_read_document(session: Session, *, digest: str, role: str, uscc: str | None) -> bool:
    """Who may download evidence: office staff and the regulator any submitted one, an enterprise only
    what it submitted itself."""
    query = select(col(EvidenceSubmission.id)).where(col(EvidenceSubmission.digest) == digest)
    if role == "enterprise":
        query = query.where(col(EvidenceSubmission.enterprise_uscc) == uscc)
    elif role not in ("office", "regulator"):
        return False
    return session.execute(query.limit(1)).first() is not None


def project_of(session: Session, *, commitment_number: str) -> str | None:
    record = session.get(CommitmentRecord, commitment_number)
    return record.project_code if record else None


def _claim(session: Session, submission_id: str, actor: str, outcome: str, reason: str | None) -> EvidenceSubmission:
    """Take the review for `actor`: one conditional UPDATE, so of two clerks at once only one wins."""
    submission = get_submission(session, submission_id=submission_id)
    if not submission.awaiting_review:
        raise InvalidState(
            f"evidence {submission_id} is not awaiting review ({submission.review_status})",
            field="submission_id",
            rule="awaiting_review_only",
        )
    claimed = session.execute(
        update(EvidenceSubmission)
        .where(col(EvidenceSubmission.id) == submission_id, col(EvidenceSubmission.review_status) == "pending")
        .values(review_status=outcome, reason=reason, reviewed_by=actor, reviewed_at=time.time())
        .execution_options(synchronize_session="fetch")
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidState(
            f"evidence {submission_id} was reviewed by someone else just now",
            field="submission_id",
            rule="awaiting_review_only",
        )
    row = session.get(EvidenceSubmission, submission_id)
    assert row is not None
    return row


def _views(session: Session, rows: list[EvidenceSubmission]) -> list[Submission]:
    ids = {r.command_id for r in rows} | {r.review_command_id for r in rows if r.review_command_id}
    statuses = (
        dict(
            session.execute(
                select(col(OutboxCommand.id), col(OutboxCommand.status)).where(col(OutboxCommand.id).in_(ids))
            )
            .tuples()
            .all()
        )
        if ids
        else {}
    )
    return [
        Submission(
            id=r.id,
            commitment_number=r.commitment_number,
            enterprise_uscc=r.enterprise_uscc,
            digest=r.digest,
            digest_algorithm=r.digest_algorithm,
            media_type=r.media_type,
            size=r.size,
            file_name=r.file_name,
            submitted_by=r.submitted_by,
            submitted_at=from_unix(r.submitted_at),
            command_id=r.command_id,
            command_status=statuses.get(r.command_id, "accepted"),
            review_status=r.review_status,
            reason=r.reason,
            reviewed_by=r.reviewed_by,
            reviewed_at=from_unix(r.reviewed_at),
            review_command_id=r.review_command_id,
            review_command_status=statuses.get(r.review_command_id) if r.review_command_id else None,
        )
        for r in rows
    ]
