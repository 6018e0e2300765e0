"""Building an indexer from Settings."""

import multiprocessing

from ledger.indexer.service import indexer_owner
from ledger.core.settings import Settings


def _owner_in_child(settings, queue) -> None:
    queue.put(indexer_owner(settings))


def test_processes_forked_after_the_settings_were_read_hold_different_lease_owner_ids():
    settings = Settings()  # read once in the parent, as the worker's app factory does
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
