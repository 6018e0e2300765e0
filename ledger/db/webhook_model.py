"""Outbound webhook tables: endpoints (who hears which events, and whether they still answer),
deliveries (one notice to one endpoint) and every attempt (the history). Times are unix seconds."""

from typing import Any

from sqlalchemy import BigInteger, Index, Integer, Text
from sqlmodel import Field, SQLModel

# An auto-incrementing 64-bit key (SQLite auto-increments only INTEGER PRIMARY KEY).
# (an instance, which SQLModel's sa_type takes though it is typed as a class)
SEQUENCE: Any = BigInteger().with_variant(Integer(), "sqlite")


class WebhookEndpoint(SQLModel, table=True):
    """A subscriber's URL for some event kinds. Disabled (active false, disabled_at set) when its
    deliveries have failed for LEDGER_WEBHOOK_DISABLE_AFTER_SECONDS; removed (removed_at set) by its
    client. Either way its notices stop; a disabled endpoint's wait and resume when re-enabled."""

    __tablename__ = "webhook_endpoints"
    id: int | None = Field(default=None, primary_key=True)
    subscriber: str = Field(index=True)  # the client id that registered it (or the name the office gave)
    url: str
    events: str  # comma-separated
    projects: str = "all"  # all, or own: only projects this subscriber registered
    active: bool = True
    created_at: float
    failing_since: float | None = None  # the first failed attempt since the last delivered one
    disabled_at: float | None = None
    disabled_reason: str | None = None
    removed_at: float | None = None


class WebhookDelivery(SQLModel, table=True):
    """One notice to one endpoint; delivered at least once, in order per (endpoint, project)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_queue", "endpoint_id", "project_code", "seq"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )
    seq: int | None = Field(default=None, primary_key=True, sa_type=SEQUENCE)
    id: str = Field(unique=True)
    endpoint_id: int
    event: str
    project_code: str
    payload: str = Field(sa_type=Text)  # JSON body, byte for byte what is signed and sent
    status: str  # pending, delivered, cancelled (its endpoint was removed)
    attempts: int = 0
    next_attempt_at: float
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: float
    delivered_at: float | None = None


class ClearanceNotice(SQLModel, table=True):
    """The last clearance answer sent for a project, so `clearance.changed` goes out only on a change."""

    __tablename__ = "clearance_notices"
    project_code: str = Field(primary_key=True)
    clear: bool
    updated_at: float


class WebhookAttempt(SQLModel, table=True):
    """The delivery history."""

    __tablename__ = "webhook_attempts"
    id: int | None = Field(default=None, primary_key=True, sa_type=SEQUENCE)
    delivery_seq: int = Field(sa_type=BigInteger, index=True)
    attempted_at: float
    status_code: int | None = None
    error: str | None = None
    duration_ms: int


WEBHOOK_TABLES = [WebhookEndpoint, WebhookDelivery, ClearanceNotice, WebhookAttempt]
