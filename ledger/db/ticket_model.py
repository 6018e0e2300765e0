"""Questions, complaints and suggestions from the public (咨询、投诉建议) and their answers.

The submitter's phone or e-mail is personal data: only its token is stored (ledger.core.field_encryption,
context "tickets.contact:<number>"). The code that opens a ticket is stored as its SHA-256: it is random
(60 bits and more), so a fast hash is enough and a copy of the table opens nothing. Times are unix seconds.
"""

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

TICKET_KINDS = ("consultation", "complaint", "suggestion")
TICKET_TOPICS = ("project", "service", "repair_notice")  # repair_notice: an objection to a repair notice
RATINGS = ("satisfied", "unsatisfied")


class Ticket(SQLModel, table=True):
    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_status_due_at", "status", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)  # e.g. TS20261203000017: kind letter pair, day, id
    kind: str = Field(max_length=16)  # one of TICKET_KINDS
    topic: str = Field(max_length=16)  # one of TICKET_TOPICS
    project_code: str | None = Field(default=None, max_length=32)
    title: str = Field(max_length=100)
    body: str = Field(sa_type=Text)
    contact_token: str = Field(max_length=400)  # the phone or e-mail, encrypted
    code_hash: str = Field(max_length=64)  # hex SHA-256 of the follow-up code
    user_id: int | None = None  # the logged-in person who submitted it, if any
    status: str = Field(default="open", max_length=16)  # open | answered
    submitted_at: float
    due_at: float  # the end of the last working day allowed for an answer
    answer: str | None = Field(default=None, sa_type=Text)
    answered_at: float | None = None
    answered_by: str | None = Field(default=None, max_length=64)
    rating: str | None = Field(default=None, max_length=16)  # one of RATINGS
    rating_reason: str | None = Field(default=None, max_length=500)
    rated_at: float | None = None
    faq: bool = False  # the office published the question and its answer as an FAQ
    # An objection (异议) to a credit repair notice in its notice period: the application it is about.
    repair_application_id: str | None = Field(default=None, index=True)
