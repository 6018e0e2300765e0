"""Building an indexer from Settings."""

import multiprocessing

import pytest

from ledger.core.settings import Settings
from ledger.db.engine import make_engine
from ledger.db.schema import SchemaNotCurrent, current_revision, head_revision
from ledger.indexer.service import build_indexer, indexer_owner
from tests.support.databases import upgrade_to


def _owner_in_child(settings, queue) -> None:
    queue.put(indexer_owner(settings))


def test_processes_forked_after_the_settings_were_read_hold_different_lease_owner_ids():
    settings = Settings()  # read once in the parent, as the Celery app module does
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    children = [context.Process(target=_owner_in_child, args=(settings, queue)) for _ in range(2)]
    for child in children:
        child.start()
    owners = {queue.get(timeout=30) for _ in children}
    for child in children:
        child.join(30)
    assert len(owners | {indexer_owner(settings)}) == 3


def test_a_configured_indexer_id_is_kept_so_a_restarted_replica_resumes_at_once(monkeypatch):
    monkeypatch.setenv("LEDGER_INDEXER_ID", "replica-a")
    assert indexer_owner(Settings()) == "replica-a"


@pytest.mark.parametrize("revision", [None, "0008"], ids=["empty", "older"])
def test_the_indexer_refuses_a_database_not_at_the_head_revision_naming_both_and_what_to_run(tmp_path, revision):
    url = f"sqlite:///{tmp_path / 'read-model.db'}"
    if revision:
        upgrade_to(url, revision)
    refusal = f'{revision or "no schema"}.*{head_revision()}: run "ledger db upgrade"'
    with pytest.raises(SchemaNotCurrent, match=refusal):
        build_indexer(Settings(database_url=url, manifest_path=tmp_path / "none.json"))
    assert current_revision(make_engine(url)) == revision  # refused, and left as it was
