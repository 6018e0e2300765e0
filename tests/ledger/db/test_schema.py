"""The schema's revision: the explicit upgrade and the check the services make before they start."""

import pytest
from sqlalchemy import text

from ledger.db.engine import make_engine
from ledger.db.schema import SchemaNotCurrent, current_revision, head_revision, require_current_schema, upgrade_schema
from tests.support.databases import upgrade_to


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    yield engine
    engine.dispose()


def test_a_database_without_a_schema_is_refused_in_one_line_naming_the_command_to_run(sqlite_engine):
    with pytest.raises(SchemaNotCurrent) as refused:
        require_current_schema(sqlite_engine)
    message = str(refused.value)
    assert "\n" not in message
    assert "no schema" in message and head_revision() in message and 'run "ledger db upgrade"' in message


def test_a_database_at_an_older_revision_is_refused_naming_both_revisions(sqlite_engine):
    upgrade_to(str(sqlite_engine.url), "0008")
    with pytest.raises(SchemaNotCurrent) as refused:
        require_current_schema(sqlite_engine)
    assert str(refused.value) == (
        f'the database is at revision 0008, this code needs revision {head_revision()}: run "ledger db upgrade"'
    )


def test_a_database_at_a_revision_this_code_does_not_know_is_refused_without_suggesting_an_upgrade(sqlite_engine):
    upgrade_schema(sqlite_engine)
    with sqlite_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0042_future'"))
    with pytest.raises(SchemaNotCurrent) as refused:
        require_current_schema(sqlite_engine)
    assert "0042_future" in str(refused.value) and head_revision() in str(refused.value)
    assert "ledger db upgrade" not in str(refused.value)


def test_an_upgraded_database_passes_the_check_and_a_second_upgrade_changes_nothing(sqlite_engine):
    upgrade_schema(sqlite_engine)
    require_current_schema(sqlite_engine)
    upgrade_schema(sqlite_engine)
    assert current_revision(sqlite_engine) == head_revision()
