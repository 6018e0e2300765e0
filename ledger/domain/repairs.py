"""Credit repair with public notice (信用修复, 公示期).

After a breach (on chain: `breached`) the enterprise applies with a statement of what it put right and
one or more remedy evidence files (kept off chain in the document store, ledger.domain.documents, with the
limits of fulfilment evidence). The application's evidence digest is the profile's digest (SHA-256, or SM3
under the gm profile) of its manifest — the canonical JSON (sorted keys, no spaces, UTF-8) of
`{"commitment": number, "files": [digest, …in order], "statement": text}` — so anyone holding the files
and the statement can recompute what goes on chain with `repair(commitment, evidenceHash, repairedAt)`.

The office publishes an application: from then it is a public notice (信用修复公示, among the
announcements) for `LEDGER_REPAIR_NOTICE_DAYS` days on the chain's clock, during which anyone may object
through the consultation channel (a ticket whose topic is `repair_notice`). Approval before the period
ends is refused naming the moment it ends; after it, approval is the office's `repair` decision
(ledger.domain.commitments), which itself requires such an application: no repair reaches the chain
without its notice. The office may reject an application (with a reason the enterprise reads) while it
is open. One application per commitment is open at a time, enforced by a unique column
(ledger.db.repair_model); each change of status is one conditional UPDATE, so two clerks at once cannot
both publish, approve or reject. The enterprise finds each step (published, rejected, approved) among its
notices, once (ledger.domain.repair_notices).
"""

import time
import uuid
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.core.crypto_profile import CryptoProfile
from ledger.db.repair_model import OPEN_REPAIR_STATUSES, RepairApplication, RepairDocument
from ledger.db.ticket_model import Ticket
from ledger.db.write_model import CommitmentRecord, OutboxCommand
from ledger.domain import chain_time, repair_notices
from ledger.domain.commitments import commitments_of_enterprise, decide_commitment
from ledger.domain.common import from_unix
from ledger.domain.documents import DocumentStore, shown_name
from ledger.domain.errors import Conflict, InvalidState, NotFound, ValidationFailed
from ledger.domain.repair_gate import transition
from ledger.domain.schemas.common import CommandAccepted
from ledger.domain.schemas.office import CommitmentDecision
from ledger.outbox.commands import FAILED

DAY_SECONDS = 86_400
MAX_STATEMENT_CHARS = 2000
MAX_REASON_CHARS = 500
MAX_FILES = 3


@dataclass(frozen=True)
class RepairFile:
    digest: str
    media_type: str
    size: int
    file_name: str


@dataclass(frozen=True)
class Objection:
    """A ticket objecting to the notice: its number, kind, title and when it came (no contact data)."""

    number: str
    kind: str
    title: str
    body: str
    status: str
    submitted_at: datetime


@dataclass(frozen=True)
class Application:
    id: str
    commitment_number: str
    project_code: str | None
    enterprise_uscc: str
    statement: str
    evidence_digest: str
    digest_algorithm: str
    files: list[RepairFile]
    submitted_by: str
    submitted_at: datetime
    status: str  # submitted, published, approved, rejected
    published_by: str | None
    published_at: datetime | None
    notice_ends_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    command_id: str | None
    command_status: str | None  # of the repair command, once approved

    @property
    def open(self) -> bool:
        return self.status in OPEN_REPAIR_STATUSES

    def in_notice(self, now: int) -> bool:
        """Published and its notice period not yet over at `now` (the chain's time)."""
        return self.status == "published" and self.notice_ends_at is not None and now < self.notice_ends_at.timestamp()


def manifest_digest(profile: CryptoProfile, *, commitment_number: str, statement: str, files: list[str]) -> str:
    """The digest that goes on chain: of the canonical JSON of the commitment, the files' digests and
    the statement (see the module's docstring)."""
    manifest = orjson.dumps(
        {"commitment": commitment_number, "files": files, "statement": statement}, option=orjson.OPT_SORT_KEYS
    )
    return profile.digest(manifest).hex()


# --- the enterprise applies --------------------------------------------------------------------------


def apply_for_repair(
    session: Session,
    *,
    store: DocumentStore,
    uscc: str,
    username: str,
    commitment_number: str,
    statement: str,
    files: list[tuple[bytes, str]],
) -> Application:
    """Keep the files and the application; refused (nothing written) when the commitment is not the
    enterprise's, not breached on chain, already has an open application (also one submitted at the same
    moment: the database refuses the second) or a repair on its way, or when the statement or a file
    breaks a rule."""
    commitment = next(
        (c for c in commitments_of_enterprise(session, uscc=uscc) if c.commitment_number == commitment_number), None
    )
    if commitment is None:
        raise NotFound(f"no commitment {commitment_number} of yours", field="commitment_number", rule="own_commitment")
    if commitment.status != "breached":
        raise InvalidState(
            f"commitment {commitment_number} is {commitment.status} on chain: repair is applied for after a breach",
            field="commitment_number",
            rule="breached_only",
        )
    statement = (statement or "").strip()
    if not statement:
        raise ValidationFailed("a repair application needs a statement", field="statement", rule="required")
    if len(statement) > MAX_STATEMENT_CHARS:
        raise ValidationFailed(
            f"the statement is {len(statement)} characters; at most {MAX_STATEMENT_CHARS}",
            field="statement",
            rule="max_length",
        )
    files = [(content, name) for content, name in files if content or name]
    if not files:
        raise ValidationFailed("attach at least one remedy evidence file", field="file", rule="not_empty")
    if len(files) > MAX_FILES:
        raise ValidationFailed(f"at most {MAX_FILES} files", field="file", rule="max_files")
    documents = [store.checked(content) for content, _ in files]
    _refuse_when_open(session, commitment_number)
    digest = manifest_digest(
        store.profile,
        commitment_number=commitment_number,
        statement=statement,
        files=[d.digest for d in documents],
    )
    row = RepairApplication(
        id=uuid.uuid4().hex,
        commitment_number=commitment_number,
        open_commitment=commitment_number,
        enterprise_uscc=uscc,
        statement=statement,
        evidence_digest=digest,
        digest_algorithm=store.profile.digest_name,
        submitted_by=username,
        submitted_at=time.time(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # another application for the commitment was stored after our check
        raise _already_open(commitment_number) from None
    for position, (document, (_, name)) in enumerate(zip(documents, files, strict=True)):
        session.add(
            RepairDocument(
                id=uuid.uuid4().hex,
                application_id=row.id,
                position=position,
                digest=document.digest,
                media_type=document.media_type,
                size=document.size,
                file_name=shown_name(name),
            )
        )
    session.flush()
    for content, _ in files:  # after every check: a refused application keeps nothing
        store.put(content)
    return get_application(session, application_id=row.id)


def _refuse_when_open(session: Session, commitment_number: str) -> None:
    for application in applications_of_commitment(session, commitment_number=commitment_number):
        if application.open:
            raise _already_open(commitment_number)
        if application.status == "approved" and application.command_status not in (FAILED, "indexed"):
            raise InvalidState(
                f"the repair of commitment {commitment_number} is on its way to the chain",
                field="commitment_number",
                rule="repair_on_its_way",
            )


def _already_open(commitment_number: str) -> Conflict:
    return InvalidState(
        f"commitment {commitment_number} already has a repair application awaiting a decision",
        field="commitment_number",
        rule="one_open_application",
    )


# --- the office: publish, approve, reject ------------------------------------------------------------


def publish(session: Session, *, application_id: str, actor: str, notice_days: int) -> Application:
    """Put the application on public notice from now (the chain's time) for `notice_days` days."""
    now = chain_time.chain_clock().now()
    transition(
        session,
        application_id,
        ("submitted",),
        "published",
        rule="submitted_only",
        published_by=actor,
        published_at=now,
        notice_ends_at=now + notice_days * DAY_SECONDS,
    )
    _notify(session, application_id, repair_notices.PUBLISHED)
    return get_application(session, application_id=application_id)


def approve(session: Session, *, application_id: str, actor: str) -> CommandAccepted:
    """After the notice period: the `repair` decision with the application's evidence digest (refused
    before the period ends, naming when it ends: ledger.domain.commitments judges it)."""
    application = get_application(session, application_id=application_id)
    if application.status != "published":
        raise InvalidState(
            f"repair application {application_id} is {application.status}: only a published one is approved",
            field="application_id",
            rule="published_only",
        )
    decision = CommitmentDecision(action="repair", document_sha256=application.evidence_digest)
    return decide_commitment(session, commitment_number=application.commitment_number, decision=decision, actor=actor)


def approve_for_commitment(session: Session, *, commitment_number: str, actor: str) -> CommandAccepted:
    """信用修复 from the commitment's decision page: its document is the application itself (the statement
    and remedy files the enterprise filed, whose manifest digest goes on chain), so nothing is uploaded —
    the commitment's published application is approved, as from its own page."""
    published = next(
        (
            a
            for a in applications_of_commitment(session, commitment_number=commitment_number)
            if a.status == "published"
        ),
        None,
    )
    if published is None:
        raise InvalidState(
            f"commitment {commitment_number} has no published repair application: a repair needs one "
            "published for its notice period (信用修复公示)",
            field="action",
            rule="repair_application_required",
        )
    return approve(session, application_id=published.id, actor=actor)


def reject(session: Session, *, application_id: str, actor: str, reason: str) -> Application:
    """Close an open application with a reason the enterprise reads; it may apply again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a rejection needs a reason", field="reason", rule="required")
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationFailed(
            f"the reason is {len(reason)} characters; at most {MAX_REASON_CHARS}", field="reason", rule="max_length"
        )
    transition(
        session,
        application_id,
        OPEN_REPAIR_STATUSES,
        "rejected",
        rule="open_only",
        decided_by=actor,
        decided_at=time.time(),
        reason=reason,
        open_commitment=None,
    )
    _notify(session, application_id, repair_notices.REJECTED)
    return get_application(session, application_id=application_id)


def _notify(session: Session, application_id: str, kind: str) -> None:
    row = session.get(RepairApplication, application_id)
    assert row is not None  # the transition just changed it
    repair_notices.notify_repair_step(session, application=row, kind=kind)


# --- objections (异议) through the consultation channel -------------------------------------------------


def open_for_objection(session: Session, *, application_id: str) -> Application:
    """The application a new objection is about, while its notice period runs (the chain's clock)."""
    try:
        application = get_application(session, application_id=application_id)
    except NotFound:
        application = None
    if application is None or not application.in_notice(chain_time.chain_clock().now()):
        raise ValidationFailed(
            "objections are taken while a repair notice is in its notice period",
            field="repair_application_id",
            rule="in_notice_period",
        )
    return application


def objections(session: Session, *, application_id: str) -> list[Objection]:
    rows = session.execute(
        select(Ticket)
        .where(col(Ticket.repair_application_id) == application_id)
        .order_by(col(Ticket.submitted_at), col(Ticket.number))
    ).scalars()
    return [
        Objection(t.number, t.kind, t.title, t.body, t.status, from_unix(t.submitted_at) or datetime.min) for t in rows
    ]


# --- reading -----------------------------------------------------------------------------------------


def get_application(session: Session, *, application_id: str) -> Application:
    row = session.get(RepairApplication, application_id)
    if row is None:
        raise NotFound(f"no repair application {application_id}", field="application_id", rule="known_application")
    return _views(session, [row])[0]


def applications_of_commitment(session: Session, *, commitment_number: str) -> list[Application]:
    """Every application for the commitment, the latest first."""
    rows = session.execute(
        select(RepairApplication)
        .where(col(RepairApplication.commitment_number) == commitment_number)
        .order_by(col(RepairApplication.submitted_at).desc())
    ).scalars()
    return _views(session, list(rows))


def applications_of_project(session: Session, *, project_code: str, uscc: str) -> list[Application]:
    """The enterprise's applications for the commitments of one project, oldest first (its timeline)."""
    numbers = select(col(CommitmentRecord.commitment_number)).where(col(CommitmentRecord.project_code) == project_code)
    rows = session.execute(
        select(RepairApplication)
        .where(
            col(RepairApplication.enterprise_uscc) == uscc,
            col(RepairApplication.commitment_number).in_(numbers),
        )
        .order_by(col(RepairApplication.submitted_at))
    ).scalars()
    return _views(session, list(rows))


def awaiting_office(session: Session, *, limit: int = 200) -> list[Application]:
    """The office's queue: open applications, the oldest first."""
    rows = session.execute(
        select(RepairApplication)
        .where(col(RepairApplication.status).in_(OPEN_REPAIR_STATUSES))
        .order_by(col(RepairApplication.submitted_at))
        .limit(limit)
    ).scalars()
    return _views(session, list(rows))


def published_notices(session: Session, *, limit: int = 200) -> list[Application]:
    """Applications on public notice (published and not yet decided), the latest published first; the
    announcements show each in its notice period."""
    rows = session.execute(
        select(RepairApplication)
        .where(col(RepairApplication.status) == "published")
        .order_by(col(RepairApplication.published_at).desc())
        .limit(limit)
    ).scalars()
    return _views(session, list(rows))


def may_read_document(session: Session, *, digest: str, role: str, uscc: str | None) -> bool:
    """Remedy evidence files: office staff and the regulator, and the enterprise that applied."""
    query = (
        select(col(RepairDocument.id))
        .join(RepairApplication, col(RepairApplication.id) == col(RepairDocument.application_id))
        .where(col(RepairDocument.digest) == digest)
    )
    if role == "enterprise":
        query = query.where(col(RepairApplication.enterprise_uscc) == uscc)
    elif role not in ("office", "regulator"):
        return False
    return session.execute(query.limit(1)).first() is not None


def _views(session: Session, rows: list[RepairApplication]) -> list[Application]:
    if not rows:
        return []
    ids = [r.id for r in rows]
    files: dict[str, list[RepairFile]] = {}
    for d in session.execute(
        select(RepairDocument).where(col(RepairDocument.application_id).in_(ids)).order_by(col(RepairDocument.position))
    ).scalars():
        files.setdefault(d.application_id, []).append(RepairFile(d.digest, d.media_type, d.size, d.file_name))
    commands = [r.command_id for r in rows if r.command_id]
    statuses = (
        dict(
            session.execute(
                select(col(OutboxCommand.id), col(OutboxCommand.status)).where(col(OutboxCommand.id).in_(commands))
            )
            .tuples()
            .all()
        )
        if commands
        else {}
    )
    projects = dict(
        session.execute(
            select(col(CommitmentRecord.commitment_number), col(CommitmentRecord.project_code)).where(
                col(CommitmentRecord.commitment_number).in_({r.commitment_number for r in rows})
            )
        )
        .tuples()
        .all()
    )
    return [
        Application(
            id=r.id,
            commitment_number=r.commitment_number,
            project_code=projects.get(r.commitment_number),
            enterprise_uscc=r.enterprise_uscc,
            statement=r.statement,
            evidence_digest=r.evidence_digest,
            digest_algorithm=r.digest_algorithm,
            files=files.get(r.id, []),
            submitted_by=r.submitted_by,
            submitted_at=from_unix(r.submitted_at) or datetime.min,
            status=r.status,
            published_by=r.published_by,
            published_at=from_unix(r.published_at),
            notice_ends_at=from_unix(r.notice_ends_at),
            decided_by=r.decided_by,
            decided_at=from_unix(r.decided_at),
            reason=r.reason,
            command_id=r.command_id,
            command_status=statuses.get(r.command_id, "accepted") if r.command_id else None,
        )
        for r in rows
    ]
