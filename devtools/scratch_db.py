"""Throwaway PostgreSQL databases, for benchmarks and tests that need a clean server-side schema."""

import uuid
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import make_url

from ledger.db.engine import make_engine, normalise_url


def scratch_database(server_url: str, prefix: str = "ledger_scratch") -> tuple[str, Callable[[], None]]:
    """Create an empty database on the server of `server_url`; returns its URL and a function that drops it."""
    admin = make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(normalise_url(server_url)).set(database=name).render_as_string(hide_password=False), drop
