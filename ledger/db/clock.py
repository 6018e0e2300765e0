"""The database's clock: the one clock every process sharing the database agrees on (the hosts'
clocks may disagree; leases and the indexer's status must not)."""

from sqlalchemy import Connection


def now_sql(conn: Connection) -> str:
    """The database's clock in unix seconds, as an SQL expression."""
    if conn.dialect.name == "postgresql":
        return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"
    return "((julianday('now') - 2440587.5) * 86400.0)"
