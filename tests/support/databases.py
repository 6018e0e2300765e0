"""Scratch databases for write-path tests: SQLite in the test's tmp dir, or a throwaway
PostgreSQL database (the server must be running: a missing server fails, never skips).

A migrated database is a copy of one migrated once per test session (per xdist worker): a copy of the
SQLite file, or a PostgreSQL `CREATE DATABASE … TEMPLATE`. Running the 18+ migrations took about a
second on SQLite and three on PostgreSQL for every test; a copy takes milliseconds (SQLite) or a
fraction of a second (PostgreSQL), and holds the very schema and rows the migrations leave. The
migrations themselves are tested on fresh databases (tests/ledger/db/test_schema.py, tests/ledger/cli/test_db.py).

PostgreSQL forces a checkpoint for every DROP DATABASE (seconds of fsync under load), so the copies are
dropped by a thread of their own while the next test runs; the session waits for the last drop at its end."""

import itertools
import shutil
import sqlite3
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from ledger.db.engine import make_engine, normalise_url
from ledger.db.schema import alembic_config, upgrade_schema
from devtools.scratch_db import scratch_database

POSTGRES_SERVER = "postgresql://127.0.0.1/test"


class MigratedTemplates:
    """Databases at the head revision, migrated once and copied for each test that asks for one."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._sqlite: Path | None = None
        self._postgres: tuple[str, Callable[[], None]] | None = None  # (database name, drop)
        self._admin = None
        self._dropper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-database")
        self._drops: list[Future] = []

    def sqlite(self, path: Path) -> str:
        """A migrated SQLite database at `path`; returns its URL."""
        if self._sqlite is None:
            template = self.folder / "template.db"
            engine = make_engine(f"sqlite:///{template}")
            upgrade_schema(engine)
            engine.dispose()
            with sqlite3.connect(template) as db:  # the WAL folded into the file: the file is the database
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._sqlite = template
        shutil.copyfile(self._sqlite, path)
        return f"sqlite:///{path}"

    def postgresql(self, prefix: str) -> tuple[str, Callable[[], None]]:
        """A migrated PostgreSQL database of its own; returns its URL and a function that drops it."""
        if self._postgres is None:
            url, drop = scratch_database(POSTGRES_SERVER, prefix="ledger_template")
            engine = make_engine(url)
            upgrade_schema(engine)
            engine.dispose()  # CREATE DATABASE … TEMPLATE needs the template without connections
            self._postgres = (make_url(url).database, drop)
            self._admin = make_engine(POSTGRES_SERVER).execution_options(isolation_level="AUTOCOMMIT")
        template, _ = self._postgres
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

        def drop_now() -> None:
            with self._admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

        def drop() -> None:
            self._drops.append(self._dropper.submit(drop_now))

        return make_url(normalise_url(POSTGRES_SERVER)).set(database=name).render_as_string(hide_password=False), drop

    def close(self) -> None:
        self._dropper.shutdown(wait=True)
        for dropped in self._drops:
            dropped.result()  # a database that could not be dropped fails the session, as it failed the test
        if self._postgres is not None:
            self._postgres[1]()
        if self._admin is not None:
            self._admin.dispose()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory):
    templates = MigratedTemplates(tmp_path_factory.mktemp("migrated-templates"))
    yield templates
    templates.close()


@pytest.fixture
def make_database(tmp_path, migrated_templates) -> Callable[[str], str]:
    """make_database("sqlite" | "postgresql") -> URL of an empty, migrated database, dropped after the test."""
    drops, names = [], itertools.count()

    def make(kind: str) -> str:
        if kind == "sqlite":
            return migrated_templates.sqlite(tmp_path / f"ledger-{next(names)}.db")
        url, drop = migrated_templates.postgresql("ledger_core_test")
        drops.append(drop)
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
