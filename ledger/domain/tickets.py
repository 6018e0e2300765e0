"""Questions, complaints and suggestions from the public (咨询、投诉建议).

Anyone submits one with a phone number or e-mail for the answer (kept encrypted: personal data); it
gets a ticket number, a random code (shown once; stored as its hash) and an answer deadline in working
days by kind (LEDGER_TICKETS_*_DAYS). The office answers; the submitter reads the answer with the
number and the code and rates it (满意 / 不满意, with a reason). An answer the office publishes becomes
an FAQ anyone can search; the regulator sees counts, overdue tickets and ratings.

Every function takes `now` (unix seconds) so that tests move the clock instead of waiting.
"""

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.core.field_encryption import FieldCipher
from ledger.core.identifiers import ProjectCode
from ledger.core.settings import TicketSettings
from ledger.db.access_model import User
from ledger.db.ticket_model import RATINGS, TICKET_KINDS, TICKET_TOPICS, Ticket
from ledger.domain import repairs
from ledger.domain.common import SHANGHAI, end_of_day, from_unix
from ledger.domain.errors import InvalidState, NotFound, ValidationFailed
from ledger.domain.personal_data import field_context
from ledger.domain.working_days import add_working_days

NUMBER_PREFIX = {"consultation": "ZX", "complaint": "TS", "suggestion": "JY"}  # 咨询, 投诉, 建议
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed from paper
CODE_LENGTH = 12  # 60 bits
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")  # a mainland mobile number
LANDLINE = re.compile(r"^0[1-9][0-9]{1,2}-?[0-9]{7,8}$")  # area code and number
TITLE_MAX, BODY_MAX, ANSWER_MAX, REASON_MAX = 100, 2000, 4000, 500
_email = TypeAdapter(EmailStr)
_project_code = TypeAdapter(ProjectCode)


@dataclass(frozen=True)
class TicketView:
    number: str
    kind: str
    topic: str
    project_code: str | None
    title: str
    body: str
    status: str
    submitted_at: datetime
    due_at: datetime
    overdue: bool  # open past its deadline, or answered after it
    answer: str | None
    answered_at: datetime | None
    rating: str | None
    rating_reason: str | None
    faq: bool
    repair_application_id: str | None = None  # an objection to this repair notice (topic repair_notice)


@dataclass(frozen=True)
class Submitted:
    ticket: TicketView
    code: str  # shown to the submitter once; never stored


@dataclass(frozen=True)
class Summary:
    """What the regulator sees: counts by kind and status, the overdue tickets, the ratings."""

    counts: dict[str, dict[str, int]]  # kind → {"open": n, "answered": n, "overdue": n}
    overdue: list[TicketView]
    ratings: dict[str, int]  # satisfied / unsatisfied
    unsatisfied: list[TicketView] = field(default_factory=list)


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def normalize_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).upper()


def deadline(*, submitted_at: float, kind: str, settings: TicketSettings) -> float:
    """The end (23:59:59, Beijing time) of the n-th working day after the day of submission."""
    days = {"consultation": settings.consultation_days, "complaint": settings.complaint_days}.get(
        kind, settings.suggestion_days
    )
    day: date = datetime.fromtimestamp(submitted_at, SHANGHAI).date()
    return float(end_of_day(add_working_days(day, days)))


def _view(ticket: Ticket, now: float) -> TicketView:
    late = (ticket.answered_at or now) > ticket.due_at
    return TicketView(
        number=ticket.number,
        kind=ticket.kind,
        topic=ticket.topic,
        project_code=ticket.project_code,
        title=ticket.title,
        body=ticket.body,
        status=ticket.status,
        submitted_at=from_unix(ticket.submitted_at),
        due_at=from_unix(ticket.due_at),
        overdue=late,
        answer=ticket.answer,
        answered_at=from_unix(ticket.answered_at),
        rating=ticket.rating,
        rating_reason=ticket.rating_reason,
        faq=ticket.faq,
        repair_application_id=ticket.repair_application_id,
    )


def _text(value: str, *, name: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed("must not be empty", field=name, rule="required")
    if len(value) > limit:
        raise ValidationFailed(f"at most {limit} characters", field=name, rule="max_length")
    return value


def parse_contact(value: str) -> str:
    """A mainland mobile or landline number, or an e-mail address; refused otherwise."""
    value = (value or "").strip()
    if MOBILE.match(value) or LANDLINE.match(value):
        return value
    if "@" in value:
        try:
            return str(_email.validate_python(value))
        except ValidationError:
            pass
    raise ValidationFailed(
        "a mobile number (11 digits), a landline number with its area code, or an e-mail address",
        field="contact",
        rule="phone_or_email",
    )


def _find(session: Session, number: str) -> Ticket:
    ticket = session.execute(select(Ticket).where(col(Ticket.number) == number.strip().upper())).scalar_one_or_none()
    if ticket is None:
        raise NotFound(f"no ticket {number}", field="number", rule="exists")
    return ticket


def submit(
    session: Session,
    *,
    kind: str,
    topic: str,
    title: str,
    body: str,
    contact: str,
    cipher: FieldCipher,
    settings: TicketSettings,
    project_code: str | None = None,
    user_id: int | None = None,
    repair_application_id: str | None = None,
    now: float | None = None,
) -> Submitted:
    """File a ticket; the caller commits. Returns it with its code (the only time the code is known).
    A ticket on topic `repair_notice` is an objection (异议) to a credit repair notice: it names the
    application, which must be in its notice period (ledger.domain.repairs)."""
    if kind not in TICKET_KINDS:
        raise ValidationFailed(f"one of {', '.join(TICKET_KINDS)}", field="kind", rule="one_of")
    if topic not in TICKET_TOPICS:
        raise ValidationFailed(f"one of {', '.join(TICKET_TOPICS)}", field="topic", rule="one_of")
    code_of_project = None
    if topic == "project":
        try:
            code_of_project = _project_code.validate_python((project_code or "").strip())
        except ValidationError:
            raise ValidationFailed(
                "a ticket about a project names its project code (YYYY-RRRRRR-II-TT-NNNNNN)",
                field="project_code",
                rule="project_code",
            ) from None
    objected = None
    if topic == "repair_notice":
        objected = repairs.open_for_objection(session, application_id=(repair_application_id or "").strip()).id
    title, body = _text(title, name="title", limit=TITLE_MAX), _text(body, name="body", limit=BODY_MAX)
    contact = parse_contact(contact)
    at = _now(now)
    day = datetime.fromtimestamp(at, SHANGHAI).strftime("%Y%m%d")
    while True:  # six random digits a day per kind: a clash is rare, and retried
        number = f"{NUMBER_PREFIX[kind]}{day}{secrets.randbelow(10**6):06d}"
        if session.execute(select(col(Ticket.id)).where(col(Ticket.number) == number)).first() is None:
            break
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    ticket = Ticket(
        number=number,
        kind=kind,
        topic=topic,
        project_code=code_of_project,
        title=title,
        body=body,
        contact_token=cipher.encrypt(contact, context=field_context(Ticket, "contact_token", number)),
        code_hash=_hash(code),
        user_id=user_id,
        submitted_at=at,
        due_at=deadline(submitted_at=at, kind=kind, settings=settings),
        repair_application_id=objected,
    )
    session.add(ticket)
    session.flush()
    return Submitted(ticket=_view(ticket, at), code=code)


def read_by_number_and_code(session: Session, *, number: str, code: str, now: float | None = None) -> TicketView:
    """The submitter's view. A wrong code is the same NotFound as an unknown number (no hint either way)."""
    ticket = session.execute(select(Ticket).where(col(Ticket.number) == number.strip().upper())).scalar_one_or_none()
    # Compare even when the number is unknown, so the time taken says nothing about which was wrong.
    stored = ticket.code_hash if ticket else "0" * 64
    if not hmac.compare_digest(stored, _hash(normalize_code(code))) or ticket is None:
        raise NotFound("no ticket with this number and code", field="code", rule="matches_ticket")
    return _view(ticket, _now(now))


def answer(session: Session, *, number: str, text: str, by: str, now: float | None = None) -> TicketView:
    """The office's answer; answering again replaces it (the rating, if any, stays with the ticket)."""
    ticket = _find(session, number)
    ticket.answer = _text(text, name="answer", limit=ANSWER_MAX)
    ticket.answered_by, ticket.status = by, "answered"
    ticket.answered_at = ticket.answered_at or _now(now)
    session.flush()
    return _view(ticket, _now(now))


def rate(
    session: Session, *, number: str, code: str, rating: str, reason: str = "", now: float | None = None
) -> TicketView:
    """The submitter's 好差评, once, after the answer; 不满意 needs a reason."""
    read_by_number_and_code(session, number=number, code=code, now=now)
    ticket = _find(session, number)
    if rating not in RATINGS:
        raise ValidationFailed(f"one of {', '.join(RATINGS)}", field="rating", rule="one_of")
    if ticket.status != "answered":
        raise InvalidState("a ticket is rated after it is answered", field="rating", rule="after_answer")
    if ticket.rating is not None:
        raise InvalidState("a ticket is rated once", field="rating", rule="once")
    reason = (reason or "").strip()
    if rating == "unsatisfied":
        reason = _text(reason, name="rating_reason", limit=REASON_MAX)
    elif len(reason) > REASON_MAX:
        raise ValidationFailed(f"at most {REASON_MAX} characters", field="rating_reason", rule="max_length")
    ticket.rating, ticket.rating_reason, ticket.rated_at = rating, reason or None, _now(now)
    session.flush()
    return _view(ticket, _now(now))


def publish_as_faq(session: Session, *, number: str, public: bool = True, now: float | None = None) -> TicketView:
    """Mark an answered ticket public (or withdraw it): only the question and the answer are shown."""
    ticket = _find(session, number)
    if public and ticket.status != "answered":
        raise InvalidState("only an answered ticket becomes an FAQ", field="faq", rule="after_answer")
    ticket.faq = public
    session.flush()
    return _view(ticket, _now(now))


def search_faq(session: Session, *, query: str = "", limit: int = 50) -> list[TicketView]:
    """Published answers, newest first; every word of `query` in the title, question or answer."""
    statement = select(Ticket).where(col(Ticket.faq).is_(True), col(Ticket.status) == "answered")
    for word in query.split()[:10]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(
                col(Ticket.title).ilike(pattern, escape="\\"),
                col(Ticket.body).ilike(pattern, escape="\\"),
                col(Ticket.answer).ilike(pattern, escape="\\"),
            )
        )
    rows = session.execute(statement.order_by(col(Ticket.answered_at).desc()).limit(limit)).scalars()
    return [_view(t, time.time()) for t in rows]


def filed_by_enterprise(
    session: Session, *, uscc: str, project_code: str, now: float | None = None
) -> list[TicketView]:
    """The tickets people of this enterprise filed, logged in, about this project, oldest first (the
    enterprise's project page shows them on its timeline)."""
    rows = session.execute(
        select(Ticket)
        .join(User, col(User.id) == col(Ticket.user_id))
        .where(col(User.uscc) == uscc, col(Ticket.project_code) == project_code)
        .order_by(col(Ticket.submitted_at))
    ).scalars()
    at = _now(now)
    return [_view(t, at) for t in rows]


def office_queue(session: Session, *, now: float | None = None, limit: int = 200) -> list[TicketView]:
    """Open tickets by deadline (the most urgent first), then the latest answered."""
    at = _now(now)
    open_rows = session.execute(
        select(Ticket).where(col(Ticket.status) == "open").order_by(col(Ticket.due_at)).limit(limit)
    ).scalars()
    done = session.execute(
        select(Ticket).where(col(Ticket.status) == "answered").order_by(col(Ticket.answered_at).desc()).limit(limit)
    ).scalars()
    return [_view(t, at) for t in open_rows] + [_view(t, at) for t in done]


def office_ticket(
    session: Session, *, number: str, cipher: FieldCipher, now: float | None = None
) -> tuple[TicketView, str]:
    """One ticket for the office, with the submitter's contact decrypted (to call or write back)."""
    ticket = _find(session, number)
    contact = cipher.decrypt(ticket.contact_token, context=field_context(Ticket, "contact_token", ticket.number))
    return _view(ticket, _now(now)), contact


def regulator_summary(session: Session, *, now: float | None = None, limit: int = 200) -> Summary:
    at = _now(now)
    counts = {kind: {"open": 0, "answered": 0, "overdue": 0} for kind in TICKET_KINDS}
    for kind, status, n in session.execute(
        select(col(Ticket.kind), col(Ticket.status), func.count()).group_by(col(Ticket.kind), col(Ticket.status))
    ).all():
        counts[kind][status] = n
    late = or_(
        (col(Ticket.status) == "open") & (col(Ticket.due_at) < at),
        (col(Ticket.status) == "answered") & (col(Ticket.answered_at) > col(Ticket.due_at)),
    )
    for kind, n in session.execute(select(col(Ticket.kind), func.count()).where(late).group_by(col(Ticket.kind))).all():
        counts[kind]["overdue"] = n
    overdue = session.execute(select(Ticket).where(late).order_by(col(Ticket.due_at)).limit(limit)).scalars()
    ratings = {r: 0 for r in RATINGS}
    for rating, n in session.execute(
        select(col(Ticket.rating), func.count()).where(col(Ticket.rating).is_not(None)).group_by(col(Ticket.rating))
    ).all():
        ratings[rating] = n
    unsatisfied = session.execute(
        select(Ticket).where(col(Ticket.rating) == "unsatisfied").order_by(col(Ticket.rated_at).desc()).limit(limit)
    ).scalars()
    return Summary(
        counts=counts,
        overdue=[_view(t, at) for t in overdue],
        ratings=ratings,
        unsatisfied=[_view(t, at) for t in unsatisfied],
    )
