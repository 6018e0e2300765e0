"""Credit repair (信用修复) with public notice (公示期): an enterprise's application after a breach, the
remedy evidence files it attached (kept off chain by their digest, ledger.domain.documents), the office's
publication for a notice period and its decision. Objections are tickets (tickets.repair_application_id).

One application per commitment is open at a time, enforced by the database: `open_commitment` holds the
commitment number while the application is open (submitted or published) and NULL once it is decided,
and it is unique (NULLs never clash), so of two concurrent submissions only one is stored.
Times are unix seconds; `published_at` and `notice_ends_at` are on the chain's clock.
"""

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

REPAIR_STATUSES = ("submitted", "published", "approved", "rejected")
OPEN_REPAIR_STATUSES = ("submitted", "published")


class RepairApplication(SQLModel, table=True):
    __tablename__ = "repair_applications"
    id: str = Field(primary_key=True)  # 32 hex digits: also its notice's address
    commitment_number: str = Field(index=True)
    open_commitment: str | None = Field(default=None, unique=True)  # the number while open, else NULL
    enterprise_uscc: str = Field(max_length=18, index=True)
    statement: str = Field(sa_type=Text)  # what the enterprise did to put things right
    evidence_digest: str = Field(max_length=64)  # of the application's manifest: what goes on chain
    digest_algorithm: str = Field(max_length=8)  # sha256 | sm3
    submitted_by: str = Field(max_length=64)
    submitted_at: float
    status: str = Field(default="submitted", max_length=16, index=True)  # one of REPAIR_STATUSES
    published_by: str | None = Field(default=None, max_length=64)
    published_at: float | None = None  # chain time
    notice_ends_at: float | None = None  # chain time: approval is possible from this moment on
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: float | None = None
    reason: str | None = Field(default=None, sa_type=Text)  # why it was rejected
    command_id: str | None = None  # the repair_commitment command of an approval


class RepairDocument(SQLModel, table=True):
    """A remedy evidence file of an application (the bytes are in the document store)."""

    __tablename__ = "repair_documents"
    id: str = Field(primary_key=True)
    application_id: str = Field(index=True)
    position: int  # the order the enterprise attached them in
    digest: str = Field(max_length=64, index=True)
    media_type: str = Field(max_length=40)
    size: int
    file_name: str = Field(max_length=200)  # as the enterprise named it: shown, never trusted
