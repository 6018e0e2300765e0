"""Scratch databases for write-path tests: SQLite in the test's tmp dir, or a throwaway
PostgreSQL database (the server must be running: a missing server fails, never skips)."""

import itertools
from collections.abc import Callable

import pytest
from alembic import command
from sqlalchemy import Engine
from sqlmodel import Session

from ledger.db.engine import make_engine
from ledger.db.schema import alembic_config, upgrade_schema
from devtools.scratch_db import scratch_database

POSTGRES_SERVER = "postgresql://127.0.0.1/test"


@pytest.fixture
def make_database(tmp_path) -> Callable[[str], str]:
    """make_database("sqlite" | "postgresql") -> URL of an empty, migrated database, dropped after the test."""
    drops, names = [], itertools.count()

    def make(kind: str) -> str:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / f'ledger-{next(names)}.db'}"
        else:
            url, drop = scratch_database(POSTGRES_SERVER, prefix="ledger_core_test")
            drops.append(drop)
        engine = make_engine(url)
        upgrade_schema(engine)
        engine.dispose()
        return url

    yield make
    for drop in drops:
        drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, make_database) -> str:
    return make_database(request.param)


@pytest.fixture
def engine(database_url) -> Engine:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine) -> Session:
    with Session(engine) as session:
        yield session


def upgrade_to(url: str, revision: str) -> None:
    """Bring the schema of `url` to `revision` only: a database an older release left behind."""
    engine = make_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
    engine.dispose()
