"""The push as the credit platform receives it (schema version 1) and as the office reads its history.
The record inside is the bulk export's (ledger.domain.schemas.credit.CreditEventExport), whose JSON
Schema is docs/integrators/credit-event.schema.json; the envelope is docs/integrators/credit-push.md."""

from datetime import datetime
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from ledger.domain.schemas.credit import CreditEventExport

SCHEMA_VERSION: Final = 1
PushStatus = Literal["pending", "sending", "delivered"]


class CreditEventPush(BaseModel):
    """One credit event, pushed: the export's record with an id to deduplicate on and its place in its
    enterprise's sequence."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = Field(
        SCHEMA_VERSION, description="the envelope's version; a change that is not an added field gets a new one"
    )
    event_id: str = Field(
        description="chain id, block, log index and kind (and a counter where one fact gives several events of "
        "a kind): the same event always has the same id; deduplicate on it"
    )
    enterprise_key: str = Field(description="the enterprise's on-chain key, as in the record")
    enterprise_sequence: int = Field(
        ge=1, description="1, 2, 3 … per enterprise, in chain order: event n+1 is sent only once n is acknowledged"
    )
    queued_at: datetime = Field(description="when the ledger queued the push (UTC)")
    record: CreditEventExport


class CreditPushPublic(BaseModel):
    """A push and its delivery state, for the office."""

    event_id: str
    enterprise_key: str
    enterprise_sequence: int
    kind: str
    status: PushStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None  # pending: not before this
    delivered_at: datetime | None


class CreditPushAttemptPublic(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
