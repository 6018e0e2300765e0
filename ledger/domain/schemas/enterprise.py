"""What an enterprise reads of its own: its commitments and its payments (its projects are
`approval.RegisteredProject`, its credit record `credit.CreditRecordPublic`)."""

from datetime import date, datetime

from pydantic import BaseModel

from ledger.domain.schemas.common import CommandStatusName, CommitmentKind


class CommitmentPublic(BaseModel):
    commitment_number: str
    project_code: str
    enterprise_uscc: str
    kind: CommitmentKind
    due_date: date
    terms_sha256: str
    status: str  # the on-chain status when indexed, else "pending"
    command_id: str
    created_at: datetime


class PaymentPublic(BaseModel):
    voucher_number: str
    levy_number: str
    project_code: str
    amount_fen: int
    paid_at: datetime
    command_id: str
    status: CommandStatusName


class NoticePublic(BaseModel):
    """A notice in the enterprise's workspace: a reminder (due_in_7d, …), an outcome (overdue, breached,
    repaired, inspection) with its proof, or a step of its repair application (repair_published: due_date
    is the day its notice period ends; repair_rejected with the reason as `detail`; repair_approved)."""

    commitment_number: str
    project_code: str
    kind: str
    due_date: date
    transaction_hash: str | None
    created_at: datetime
    detail: str | None = None  # a rejection's reason
