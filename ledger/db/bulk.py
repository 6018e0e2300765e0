"""Inserts inside the caller's transaction: bulk (executemany on SQLite, COPY on PostgreSQL), and
inserts that skip rows whose key already exists.

The ORM's per-row overhead is most of the cost of a backfill, so the indexer's hot path writes
tuples straight through the DB-API cursor of the SQLAlchemy connection it was given.
"""

from collections.abc import Sequence

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert


def insert_new(executor: Connection | Session, table) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING: a row whose key exists is skipped, without an error (so without
    a savepoint); add RETURNING to learn which rows went in."""
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def insert_rows(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    if not rows:
        return
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("?" * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)
    finally:
        cursor.close()
