"""What every audience's schemas share: the value types inputs are checked with, the input base,
the proof of a figure on chain, and the commands a service writes to the outbox.

Inputs validate everything a service can check without the database: identifiers (USCC with
its check character through python-stdnum, project codes, Zhengzhou district codes), money as
positive integer fen (StrictInt: no floats, no strings), areas as integer 0.01 m², SHA-256
hex, timezone-aware times and days as ISO 8601 text only (never a Unix timestamp). A pydantic
error names the field (`loc`) and the rule (`type`).

Naming follows the FastAPI template: `XCreate` in, `XPublic` out. The schemas are grouped by the
audience that sends or reads them: approval, tax, office, enterprise, regulator (with the credit
record), public.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

# Contract fields are uint64 (amounts, areas) and int64 (signed adjustments).
MAX_FEN = 2**63 - 1
MAX_AREA = 2**63 - 1
MAX_BATCH = 500

# Positive integer fen (分); StrictInt refuses 1.5, "100" and true.
Fen = Annotated[StrictInt, Field(gt=0, le=MAX_FEN, description="money in fen (分), a positive integer")]
SignedFen = Annotated[StrictInt, Field(ge=-MAX_FEN, le=MAX_FEN, description="signed money in fen (分)")]
# Area in 0.01 m² (so 1234.56 m² is 123456).
Area = Annotated[StrictInt, Field(ge=0, le=MAX_AREA, description="area in 0.01 m², a non-negative integer")]


def _not_zero_hash(value: str) -> str:
    if value == "0" * 64:  # the contracts refuse a zero hash (…ZeroHash): no document hashes to it
        raise PydanticCustomError("not_zero", "a digest of 64 zeros is not a document's hash")
    return value


Sha256Hex = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[0-9a-f]{64}$"),
    AfterValidator(_not_zero_hash),
    # Under LEDGER_CRYPTO_PROFILE=gm the same fields carry SM3 (32 bytes too): the names stay for the integrators.
    Field(description="SHA-256 of the document (SM3 under the gm profile), 64 hex characters"),
]


def _iso_text(rule: str, example: str, parse: Callable[[str], date]) -> BeforeValidator:
    """pydantic would read a number (0, or "0.5" in a query) as a Unix timestamp; the document promises ISO
    8601 text, so anything else is refused before pydantic parses it. Objects from Python callers pass."""

    def check(value: object) -> object:
        if isinstance(value, date):
            return value
        try:
            parse(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise PydanticCustomError(rule, "must be ISO 8601 text such as {example}", {"example": example}) from None
        return value

    return BeforeValidator(check)


# A timezone-aware moment, e.g. 2026-11-29T09:30:00+08:00; and a day, e.g. 2026-11-29.
Moment = Annotated[AwareDatetime, _iso_text("iso_8601_datetime", "2026-11-29T09:30:00+08:00", datetime.fromisoformat)]
Day = Annotated[date, _iso_text("iso_8601_date", "2026-11-29", date.fromisoformat)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9-]{5,19}$")]

ProjectStage = Literal["approval", "construction", "acceptance", "completed"]
CommitmentKind = Literal["shelter_build", "fee_payment", "materials", "peacetime_use"]
CommandStatusName = Literal["accepted", "submitted", "mined", "indexed", "failed"]
FeeStatus = Literal["unassessed", "assessed", "partially_paid", "paid", "overpaid", "exempt", "nothing_owed"]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Proof(BaseModel):
    """Where a figure comes from on chain: enough to look the log up on any node."""

    chain_id: int
    block_number: int
    block_hash: str
    transaction_hash: str
    log_index: int


class ProofWithBlockTime(Proof):
    """A proof with its block's time: the regulator's views and the credit record ("as of" a date)."""

    block_time: datetime | None  # None only in a read model indexed before block times were kept


class CommandAccepted(BaseModel):
    """A command written to the outbox; its status is at /v1/commands/{command_id}."""

    command_id: str
    kind: str
    reference: str  # the business key it carries (voucher, commitment number, project code...)
    status: CommandStatusName = "accepted"


class ChainError(BaseModel):
    name: str  # the contract's custom error, e.g. FeeLedgerVoucherConflict
    args: list[str]


class CommandStatus(BaseModel):
    command_id: str
    kind: str
    reference: str
    status: CommandStatusName
    created_at: datetime
    submitted_at: datetime | None = None
    mined_at: datetime | None = None
    indexed_at: datetime | None = None
    chain_id: int | None = None
    transaction_hash: str | None = None
    block_number: int | None = None
    error: ChainError | None = None
