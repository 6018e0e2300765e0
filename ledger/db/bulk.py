"""Fast bulk inserts inside the caller's transaction: executemany on SQLite, COPY on PostgreSQL.

The ORM's per-row overhead is most of the cost of a backfill, so the indexer's hot path writes
tuples straight through the DB-API cursor of the SQLAlchemy connection it was given.
"""

from collections.abc import Sequence

from sqlalchemy import Connection


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
