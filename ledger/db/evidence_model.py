"""An enterprise's fulfilment evidence for a commitment (履约证据) and the office's review of it.

The file itself is kept off chain by its digest (ledger.domain.documents); the chain gets the digest and
the submission time (`submitEvidence`), then the review: accepted (`fulfil` with the same digest) or
rejected (`rejectEvidence` with the digest of the reason, whose text is kept here). Times are unix seconds.
"""

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

REVIEW_STATUSES = ("pending", "accepted", "rejected")


class EvidenceSubmission(SQLModel, table=True):
    __tablename__ = "evidence_submissions"
    __table_args__ = (Index("ix_evidence_submissions_review_status", "review_status"),)
    id: str = Field(primary_key=True)
    commitment_number: str = Field(index=True)
    enterprise_uscc: str = Field(max_length=18)
    digest: str = Field(max_length=64, index=True)  # hex, of the profile's digest algorithm
    digest_algorithm: str = Field(max_length=8)  # sha256 | sm3
    media_type: str = Field(max_length=40)  # detected from the content
    size: int
    file_name: str = Field(max_length=200)  # as the enterprise named it: shown, never trusted
    submitted_by: str = Field(max_length=64)
    submitted_at: float
    command_id: str  # the submit_evidence command
    review_status: str = Field(default="pending", max_length=16)  # one of REVIEW_STATUSES
    reason: str | None = Field(default=None, sa_type=Text)  # why it was rejected
    reviewed_by: str | None = Field(default=None, max_length=64)
    reviewed_at: float | None = None
    review_command_id: str | None = None  # the fulfil_commitment or reject_evidence command
