"""Credit sharing tables: every credit event pushed to the city's credit platform (one row per
event, in chain order), every attempt (the delivery history), and how far the chain has been
scanned for new events. Times are unix seconds."""

from sqlalchemy import BigInteger, Index, Text
from sqlmodel import Field, SQLModel

from ledger.db.webhook_model import SEQUENCE


class CreditPush(SQLModel, table=True):
    """One credit event to the credit platform: delivered at least once, in order per enterprise
    (a push waits while an earlier one of its enterprise is unacknowledged)."""

    __tablename__ = "credit_pushes"
    __table_args__ = (
        Index("ix_credit_pushes_queue", "enterprise_key", "seq"),
        Index("ix_credit_pushes_due", "status", "next_attempt_at"),
    )
    seq: int | None = Field(default=None, primary_key=True, sa_type=SEQUENCE)
    event_id: str = Field(unique=True)  # the receiver deduplicates on it
    enterprise_key: str
    enterprise_sequence: int  # 1, 2, 3 … per enterprise: the order the receiver checks
    kind: str
    payload: str = Field(sa_type=Text)  # JSON body, byte for byte what is signed and sent
    status: str  # pending, sending (claimed by a worker until claimed_until), delivered
    attempts: int = 0
    next_attempt_at: float
    claimed_until: float | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: float
    delivered_at: float | None = None


class CreditPushAttempt(SQLModel, table=True):
    """The delivery history: every attempt of every push."""

    __tablename__ = "credit_push_attempts"
    id: int | None = Field(default=None, primary_key=True, sa_type=SEQUENCE)
    push_seq: int = Field(sa_type=BigInteger, index=True)
    attempted_at: float
    status_code: int | None = None
    error: str | None = None
    duration_ms: int


class CreditSharingCursor(SQLModel, table=True):
    """Per chain: the block time from which the next scan for new credit events starts (inclusive:
    the last scanned second is scanned again, for a block of the same second indexed later)."""

    __tablename__ = "credit_sharing_cursor"
    chain_id: int = Field(primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False})
    scan_from: int = Field(sa_type=BigInteger)
    updated_at: float


SHARING_TABLES = [CreditPush, CreditPushAttempt, CreditSharingCursor]
