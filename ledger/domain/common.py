"""Small helpers the services share: times, on-chain keys, lookups."""

from datetime import date, datetime, time as clock, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import ScalarSelect, select
from sqlalchemy.orm import Session

from ledger.db.read_model import ChainState
from ledger.db.write_model import Project
from ledger.domain.errors import NotFound
from ledger.core.identifiers import enterprise_key, project_key, reference_key
from ledger.core.settings import get_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")


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


def from_unix(seconds: float | None) -> datetime | None:
    """Unix seconds as a UTC datetime. A uint64 time beyond year 9999 (only a chain without bounds,
    e.g. a v2 import, can hold one) shows as the last second a datetime holds; the read model
    keeps the exact value."""
    return None if seconds is None else datetime.fromtimestamp(min(seconds, LAST_SECOND), timezone.utc)


def end_of_day(day: date) -> int:
    """Unix seconds at the last second of `day` in Asia/Shanghai (a due date's deadline)."""
    return unix(datetime.combine(day, clock(23, 59, 59), SHANGHAI))


def day_bounds(day: date) -> tuple[int, int]:
    """[start, end) of a Shanghai calendar day in unix seconds."""
    start = datetime.combine(day, clock(0), SHANGHAI)
    return unix(start), unix(start + timedelta(days=1))


def today() -> date:
    return datetime.now(SHANGHAI).date()


def get_project_row(session: Session, project_code: str, *, field: str = "project_code") -> Project:
    project = session.get(Project, project_code)
    if project is None:
        raise NotFound(f"no project {project_code} is registered", field=field, rule="registered_project")
    return project


def mirrored_chain_id() -> ScalarSelect:
    """The chain the read model mirrors (the most recently indexed one), as a subquery: a lookup
    that filters by it needs no round trip of its own."""
    return select(ChainState.chain_id).order_by(ChainState.updated_at.desc()).limit(1).scalar_subquery()


def read_model_chain_id(session: Session) -> int | None:
    """The chain the read model mirrors (the most recently indexed one)."""
    return session.execute(select(mirrored_chain_id())).scalar()

