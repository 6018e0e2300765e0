"""SQL for the access tables. Every function takes the caller's connection (and so its transaction).

Uniqueness is decided by primary keys, never by an in-process lock, so any number of API
processes agree: a nonce inserts once, an Idempotency-Key is claimed once.
"""

from dataclasses import dataclass
from functools import cache
from typing import Literal

from sqlalchemy import Connection, Float, Table, TextClause, delete, insert, select, text, update
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ledger.db.access_model import ApiClient, ApiClientKey, ApiNonce, IdempotencyRecord, LoginSession, User


def _table(model: type) -> Table:
    return model.__table__  # type: ignore[attr-defined]  # SQLModel sets it on every table model


clients_t = _table(ApiClient)
keys_t = _table(ApiClientKey)
nonces_t = _table(ApiNonce)
idem_t = _table(IdempotencyRecord)
users_t = _table(User)
login_sessions_t = _table(LoginSession)


def _insert_if_absent(conn: Connection, table: Table, values: dict) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when this call inserted the row."""
    return conn.execute(_insert_if_absent_sql(table, tuple(values)), values).first() is not None


@cache
def _insert_if_absent_sql(table: Table, columns: tuple[str, ...]) -> TextClause:
    """The same SQL on PostgreSQL and SQLite, as text: SQLAlchemy 2.0 compiles its dialect inserts with
    ON CONFLICT anew on every execution, and these run on every signed request."""
    names = ", ".join(f'"{c}"' for c in columns)
    return text(
        f"INSERT INTO {table.name} ({names}) VALUES ({', '.join(':' + c for c in columns)}) "
        "ON CONFLICT DO NOTHING RETURNING 1"
    )


# --- the database's clock -----------------------------------------------------------------------


class database_epoch(FunctionElement):
    """Unix seconds by the database server's wall clock, as SQL. Nonces and Idempotency-Keys are kept and
    forgotten by this one clock, which every API process shares, so a jump of one host's clock can neither
    free a key early nor forget a nonce whose timestamp could pass again."""

    type = Float()
    inherit_cache = True


@compiles(database_epoch, "postgresql")
def _epoch_postgresql(element, compiler, **kw) -> str:
    return "extract(epoch from clock_timestamp())::float8"  # the statement's time, not the transaction's


@compiles(database_epoch, "sqlite")
def _epoch_sqlite(element, compiler, **kw) -> str:
    return "((julianday('now') - 2440587.5) * 86400.0)"


def database_clock(conn: Connection) -> float:
    """The database's wall clock now, in unix seconds (see database_epoch)."""
    return float(conn.execute(select(database_epoch())).scalar_one())


# --- clients and keys ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientRecord:
    id: str
    role: str
    active: bool
    keys: tuple[tuple[str, bytes], ...]  # (key_id, raw public key) of the active keys


def get_client(conn: Connection, client_id: str) -> ClientRecord | None:
    """The client with its active keys, in one query."""
    return get_client_and_clock(conn, client_id)[0]


def get_client_and_clock(conn: Connection, client_id: str) -> tuple[ClientRecord | None, float]:
    """The client with its active keys, and the database's clock, in one query (it runs on every signed
    request): one row of the clock, joined to the client's rows if there is such a client."""
    clock = select(database_epoch().label("now")).subquery()
    client = clients_t.outerjoin(keys_t, (keys_t.c.client_id == clients_t.c.id) & keys_t.c.active.is_(True))
    rows = conn.execute(
        select(clock.c.now, clients_t.c.id, clients_t.c.role, clients_t.c.active, keys_t.c.key_id, keys_t.c.public_key)
        .select_from(clock.outerjoin(client, clients_t.c.id == client_id))
        .order_by(keys_t.c.id)
    ).all()
    now, first = float(rows[0].now), rows[0]
    if first.id is None:
        return None, now
    keys = tuple((r.key_id, bytes(r.public_key)) for r in rows if r.key_id is not None)
    return ClientRecord(first.id, first.role, first.active, keys), now


def insert_client(conn: Connection, *, client_id: str, role: str, now: float) -> bool:
    return _insert_if_absent(conn, clients_t, {"id": client_id, "role": role, "active": True, "created_at": now})


def insert_key(conn: Connection, *, client_id: str, key_id: str, public_key: bytes, now: float) -> None:
    conn.execute(
        insert(keys_t).values(client_id=client_id, key_id=key_id, public_key=public_key, active=True, created_at=now)
    )


def retire_key(conn: Connection, *, client_id: str, key_id: str, now: float) -> bool:
    result = conn.execute(
        update(keys_t)
        .where(keys_t.c.client_id == client_id, keys_t.c.key_id == key_id, keys_t.c.active.is_(True))
        .values(active=False, retired_at=now)
    )
    return result.rowcount == 1


def list_clients(conn: Connection) -> list[ClientRecord]:
    ids = conn.execute(select(clients_t.c.id).order_by(clients_t.c.id)).scalars().all()
    return [client for i in ids if (client := get_client(conn, i)) is not None]


# --- nonces -------------------------------------------------------------------------------------


def remember_nonce(conn: Connection, *, client_id: str, nonce: str, now: float) -> bool:
    """False when the client already used this nonce (a replay)."""
    return _insert_if_absent(conn, nonces_t, {"client_id": client_id, "nonce": nonce, "seen_at": now})


def forget_nonces_before(conn: Connection, cutoff: float) -> int:
    return conn.execute(delete(nonces_t).where(nonces_t.c.seen_at < cutoff)).rowcount


# --- idempotency --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    outcome: Literal["claimed", "replay", "in_flight", "mismatch"]
    record: object | None = None  # the stored row, for a replay


def claim_key(
    conn: Connection,
    *,
    client_id: str,
    key: str,
    fingerprint: str,
    now: float,
    lock_seconds: float,
    retention_seconds: float,
) -> Claim:
    """Claim an Idempotency-Key for one request: exactly one of any number of concurrent claims wins."""
    row_values = {
        "client_id": client_id,
        "key": key,
        "fingerprint": fingerprint,
        "state": "in_flight",
        "locked_until": now + lock_seconds,
        "created_at": now,
    }
    if _insert_if_absent(conn, idem_t, row_values):
        return Claim("claimed")
    where = (idem_t.c.client_id == client_id, idem_t.c.key == key)
    row = conn.execute(select(idem_t).where(*where)).first()
    if row is None:  # released between our insert and select: try once more
        return Claim("claimed") if _insert_if_absent(conn, idem_t, row_values) else Claim("in_flight")
    if row.created_at < now - retention_seconds:  # past retention: the key is free again
        taken = (
            conn.execute(
                update(idem_t)
                .where(*where, idem_t.c.created_at == row.created_at)
                .values(**row_values, status_code=None, content_type=None, location=None, body=None, completed_at=None)
            ).rowcount
            == 1
        )
        return Claim("claimed") if taken else Claim("in_flight")
    if row.fingerprint != fingerprint:
        return Claim("mismatch")
    if row.state == "completed":
        return Claim("replay", row)
    if row.locked_until < now:  # the process that claimed it died: take it over (compare-and-set)
        taken = (
            conn.execute(
                update(idem_t)
                .where(*where, idem_t.c.state == "in_flight", idem_t.c.locked_until == row.locked_until)
                .values(locked_until=now + lock_seconds)
            ).rowcount
            == 1
        )
        return Claim("claimed") if taken else Claim("in_flight")
    return Claim("in_flight")


def complete_key(
    conn: Connection,
    *,
    client_id: str,
    key: str,
    status_code: int,
    content_type: str | None,
    location: str | None,
    body: bytes,
    now: float | None = None,
) -> None:
    """Store the response; `completed_at` is `now`, by default the database's clock."""
    conn.execute(
        update(idem_t)
        .where(idem_t.c.client_id == client_id, idem_t.c.key == key)
        .values(
            state="completed",
            status_code=status_code,
            content_type=content_type,
            location=location,
            body=body,
            completed_at=database_epoch() if now is None else now,
        )
    )


def release_key(conn: Connection, *, client_id: str, key: str) -> None:
    """Forget an in-flight claim whose request did not run (invalid input, a server error): the
    client may retry with the same key."""
    conn.execute(
        delete(idem_t).where(idem_t.c.client_id == client_id, idem_t.c.key == key, idem_t.c.state == "in_flight")
    )


def forget_keys_before(conn: Connection, cutoff: float) -> int:
    return conn.execute(delete(idem_t).where(idem_t.c.created_at < cutoff, idem_t.c.state == "completed")).rowcount


# --- users --------------------------------------------------------------------------------------


def get_user(conn: Connection, *, user_id: int | None = None, username: str | None = None):
    query = select(users_t)
    query = query.where(users_t.c.id == user_id) if user_id is not None else query.where(users_t.c.username == username)
    return conn.execute(query).first()


def insert_user(conn: Connection, **values) -> int:
    return conn.execute(insert(users_t).values(**values)).inserted_primary_key[0]


def update_user(conn: Connection, user_id: int, **values) -> None:
    conn.execute(update(users_t).where(users_t.c.id == user_id).values(**values))


# --- login sessions -----------------------------------------------------------------------------


def insert_login_session(conn: Connection, *, session_hash: str, user_id: int, now: float, expires_at: float) -> None:
    conn.execute(
        insert(login_sessions_t).values(id=session_hash, user_id=user_id, created_at=now, expires_at=expires_at)
    )


def user_of_login_session(conn: Connection, *, session_hash: str, now: float):
    """The active user whose unexpired session this is, else None."""
    query = (
        select(users_t)
        .join(login_sessions_t, login_sessions_t.c.user_id == users_t.c.id)
        .where(login_sessions_t.c.id == session_hash, login_sessions_t.c.expires_at > now, users_t.c.active)
    )
    return conn.execute(query).first()


def delete_login_session(conn: Connection, *, session_hash: str) -> None:
    conn.execute(delete(login_sessions_t).where(login_sessions_t.c.id == session_hash))


def delete_login_sessions_of(conn: Connection, *, user_id: int, expired_by: float | None = None) -> int:
    """Every session of the user (or only those expired by `expired_by`); returns how many."""
    query = delete(login_sessions_t).where(login_sessions_t.c.user_id == user_id)
    if expired_by is not None:
        query = query.where(login_sessions_t.c.expires_at <= expired_by)
    return conn.execute(query).rowcount
