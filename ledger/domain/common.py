"""Small helpers the services share: times, on-chain keys, lookups, key cursors."""

import base64
import re
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import overload
from zoneinfo import ZoneInfo

from sqlalchemy import ScalarSelect, select
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.core.identifiers import enterprise_key, project_key, reference_key
from ledger.core.settings import get_settings
from ledger.db.read_model import ChainState
from ledger.db.write_model import Project
from ledger.domain.errors import NotFound, ValidationFailed
from ledger.domain.schemas.common import Proof, ProofWithBlockTime

SHANGHAI = ZoneInfo("Asia/Shanghai")
ONCHAIN_KEY = re.compile(r"^0x[0-9a-f]{64}$")  # an enterprise's, commitment's or project's key on chain


def hex0x(value: bytes) -> str:
    return "0x" + value.hex()


def project_key_hex(project_code: str) -> str:
    return hex0x(project_key(project_code))


def reference_key_hex(reference: str) -> str:
    return hex0x(reference_key(reference))


def enterprise_key_hex(uscc: str) -> str:
    return hex0x(enterprise_key(uscc, get_settings().secrets.enterprise_pepper.get_secret_value()))


def sha_hex(sha256: str) -> str:
    """A 64-hex SHA-256 (validated by the schemas) as 0x-hex bytes32."""
    return "0x" + sha256


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


LAST_SECOND = 253_402_300_799  # 9999-12-31T23:59:59Z, the last moment a datetime holds


@overload
def from_unix(seconds: float) -> datetime: ...
@overload
def from_unix(seconds: None) -> None: ...
@overload
def from_unix(seconds: float | None) -> datetime | None: ...
def from_unix(seconds: float | None) -> datetime | None:
    """Unix seconds as a UTC datetime. A uint64 time beyond year 9999 (only a chain without bounds,
    e.g. a v2 import, can hold one) shows as the last second a datetime holds; the read model
    keeps the exact value."""
    return None if seconds is None else datetime.fromtimestamp(min(seconds, LAST_SECOND), UTC)


def end_of_day(day: date) -> int:
    """Unix seconds at the last second of `day` in Asia/Shanghai (a due date's deadline)."""
    return unix(datetime.combine(day, clock(23, 59, 59), SHANGHAI))


def day_bounds(day: date) -> tuple[int, int]:
    """[start, end) of a Shanghai calendar day in unix seconds."""
    start = datetime.combine(day, clock(0), SHANGHAI)
    return unix(start), unix(start + timedelta(days=1))


def today() -> date:
    return datetime.now(SHANGHAI).date()


def yuan(fen: int) -> str:
    """Money as people read it, the one formatter of the domain and the portal: 123456 fen → ¥1,234.56,
    5 → ¥0.05, −123456 → −¥1,234.56 (a minus sign, never dropped)."""
    sign = "−" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def get_project_row(session: Session, project_code: str, *, field: str = "project_code") -> Project:
    project = session.get(Project, project_code)
    if project is None:
        raise NotFound(f"no project {project_code} is registered", field=field, rule="registered_project")
    return project


def mirrored_chain_id() -> ScalarSelect:
    """The chain the read model mirrors (the most recently indexed one), as a subquery: a lookup
    that filters by it needs no round trip of its own."""
    return select(col(ChainState.chain_id)).order_by(col(ChainState.updated_at).desc()).limit(1).scalar_subquery()


def read_model_chain_id(session: Session) -> int | None:
    """The chain the read model mirrors (the most recently indexed one)."""
    return session.execute(select(mirrored_chain_id())).scalar()


def names_of(session: Session, key_column, name_column, keys) -> dict[str, str]:
    """Write-model names (commitment numbers, project codes, USCCs) of on-chain keys, where known."""
    keys = {k for k in keys if k}
    if not keys:
        return {}
    return dict(session.execute(select(key_column, name_column).where(key_column.in_(keys))).tuples().all())


def proof_of(chain_id: int, row) -> Proof:
    """The proof a read-model row carries (an event's, or an aggregate's latest event's) as an answer's proof."""
    return Proof(
        chain_id=chain_id,
        block_number=row.block_number,
        block_hash=row.block_hash,
        transaction_hash=row.transaction_hash,
        log_index=row.log_index,
    )


def proof_with_block_time(
    chain_id: int, block_number: int, log_index: int, block_hash: str, transaction_hash: str, block_time: int | None
) -> ProofWithBlockTime:
    """A read-model event's proof and its block's unix time, in PROOF_WITH_BLOCK_TIME's column order,
    as an answer's proof."""
    return ProofWithBlockTime(
        chain_id=chain_id,
        block_number=block_number,
        block_hash=block_hash,
        transaction_hash=transaction_hash,
        log_index=log_index,
        block_time=from_unix(block_time),
    )


def decode_key_cursor(cursor: str | None, kind: str) -> str:
    """The key after which a page of a list ordered by on-chain key starts ("" for the first page); the
    opaque cursor names the list and the last key."""
    if not cursor:
        return ""
    try:
        found, _, key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition(":")
        if found != kind or not ONCHAIN_KEY.match(key):
            raise ValueError(found)
        return key
    except ValueError:
        raise ValidationFailed("not a cursor this list issued", field="cursor", rule="opaque_cursor") from None


def encode_key_cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")
