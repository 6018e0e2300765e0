"""The schema's Alembic revision: the explicit upgrade (`ledger db upgrade`) and the check every service
makes before it starts, so that no process upgrades a database as a side effect of starting."""

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from ledger.core.errors import LedgerError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# PostgreSQL: the key of the advisory lock two `ledger db upgrade` started together queue on (any fixed
# 64-bit number no other lock of this database uses; this one spells "ledgerdb").
UPGRADE_LOCK_KEY = 0x6C65646765726462


class SchemaNotCurrent(LedgerError):
    """The database is not at the revision this code was written for: run `ledger db upgrade`."""


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def head_revision() -> str:
    head = _scripts().get_current_head()  # Alembic raises if the revisions ever branch into two heads
    assert head is not None, "ledger/db/migrations holds no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision; None for a database without a schema. Read directly rather than through
    Alembic's MigrationContext, which logs its set-up at INFO into every service's log."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the newest revision, in one transaction. On PostgreSQL that transaction first
    takes an advisory lock (released with it, also when the process dies), so upgrades started together
    run one after the other and the later ones find nothing left to do. SQLite takes none: the embedded
    database of one machine, upgraded by the one command that starts it (`make run`)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK_KEY})
        command.upgrade(alembic_config(connection), "head")


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database at another revision, in one line saying what to run."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaNotCurrent(
            f'the database has no schema yet, this code needs revision {head}: run "ledger db upgrade"'
        )
    if current not in {script.revision for script in _scripts().walk_revisions()}:
        raise SchemaNotCurrent(
            f"the database is at revision {current}, newer than this code's {head}: run the release that upgraded it"
        )
    raise SchemaNotCurrent(
        f'the database is at revision {current}, this code needs revision {head}: run "ledger db upgrade"'
    )


def engine_at_current_schema(database_url: str) -> Engine:
    """The database's engine, once its schema is at this code's revision (else SchemaNotCurrent)."""
    from ledger.db.engine import make_engine

    engine = make_engine(database_url)
    require_current_schema(engine)
    return engine
