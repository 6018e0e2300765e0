"""Inserts inside the caller's transaction: bulk (executemany on SQLite, COPY on PostgreSQL), and
inserts that skip rows whose key already exists.

The ORM's per-row overhead is most of the cost of a backfill, so the indexer's hot path writes
tuples straight through the DB-API cursor of the SQLAlchemy connection it was given — so a uint64
above SQLite's INTEGER range is put in its stored form here (`Uint64`), as the column type would.
"""

from collections.abc import Sequence
from functools import cache

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert
from sqlmodel import SQLModel

from ledger.db.read_model import INT64_MAX, Uint64, to_sqlite


def insert_new(executor: Connection | Session, table) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING: a row whose key exists is skipped, without an error (so without
    a savepoint); add RETURNING to learn which rows went in."""
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def insert_rows(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    if not rows:
        return
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None  # a connection in use holds its DBAPI connection
    cursor = dbapi.cursor()
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("?" * len(columns))
            positions = _uint64_positions(table, tuple(columns))
            if positions:
                rows = [_for_sqlite(row, positions) for row in rows]
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)
    finally:
        cursor.close()


@cache
def _uint64_positions(table: str, columns: tuple[str, ...]) -> tuple[int, ...]:
    declared = SQLModel.metadata.tables.get(table)
    if declared is None:
        return ()
    return tuple(i for i, name in enumerate(columns) if isinstance(declared.c[name].type, Uint64))


def _for_sqlite(row: tuple, positions: tuple[int, ...]) -> tuple:
    """The row as SQLite stores it: unchanged unless a uint64 is above 2^63−1 (rare, so checked first)."""
    for i in positions:
        value = row[i]
        if value is not None and value > INT64_MAX:
            return tuple(to_sqlite(v) if i in positions else v for i, v in enumerate(row))
    return row
