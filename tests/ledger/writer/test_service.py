"""Building the outbox writer from Settings."""

import pytest

from ledger.core.settings import Settings
from ledger.db.engine import make_engine
from ledger.db.schema import SchemaNotCurrent, current_revision, head_revision
from ledger.writer.service import build_writer
from tests.support.databases import upgrade_to


@pytest.mark.parametrize("revision", [None, "0008"], ids=["empty", "older"])
def test_the_writer_refuses_a_database_not_at_the_head_revision_naming_both_and_what_to_run(tmp_path, revision):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    if revision:
        upgrade_to(url, revision)
    refusal = f'{revision or "no schema"}.*{head_revision()}: run "ledger db upgrade"'
    with pytest.raises(SchemaNotCurrent, match=refusal):
        build_writer(Settings(database_url=url, manifest_path=tmp_path / "none.json"))
    assert current_revision(make_engine(url)) == revision  # refused, and left as it was
