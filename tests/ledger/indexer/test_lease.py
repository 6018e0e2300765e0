"""One active indexer per chain: the others wait as standbys."""

import threading
import time

import pytest

from ledger.indexer.projector import Batch
from ledger.core.errors import LeaseLost
from ledger.indexer.store import Header
from tests.ledger.indexer.conftest import make_indexer, read_model, workload

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


def counting_writes(indexer) -> list:
    """The batches this indexer committed."""
    writes = []
    original = indexer._write

    def write(batch, *args):
        original(batch, *args)
        writes.append(batch.events)

    indexer._write = write
    return writes


def test_two_indexers_on_one_database_exactly_one_writes(chain, database_url):
    workload(chain).every_event(400)
    first = make_indexer(chain, database_url, poll_seconds=0.05)
    second = make_indexer(chain, database_url, poll_seconds=0.05)
    commits = {first.owner: counting_writes(first), second.owner: counting_writes(second)}
    stop = threading.Event()
    threads = [threading.Thread(target=i.follow, args=(stop,)) for i in (first, second)]
    for thread in threads:
        thread.start()
    try:
        head, deadline = chain.w3.eth.block_number, time.monotonic() + 120
        while not (checkpoint := read_model(first.engine)["checkpoint"]) or checkpoint[0][1] < head:
            assert all(thread.is_alive() for thread in threads), "an indexer thread died"
            assert time.monotonic() < deadline, "neither indexer caught up"
            stop.wait(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    writers = [owner for owner, made in commits.items() if made]
    assert len(writers) == 1


def test_a_standby_takes_over_when_the_active_indexer_releases_its_lease(chain, database_url):
    active = make_indexer(chain, database_url)
    standby = make_indexer(chain, database_url)
    active.run_once()
    assert standby.run_once() is None
    active.release()
    workload(chain).assess(2)
    assert standby.run_once() is not None
    assert active.run_once() is None


def test_an_indexer_that_lost_its_lease_cannot_write(chain, database_url):
    slow = make_indexer(chain, database_url, lease_seconds=0.0)  # its lease expires at once
    slow.run_once()
    thief = make_indexer(chain, database_url)
    thief.run_once()  # takes the expired lease
    workload(chain).assess(1)
    before = read_model(slow.engine)
    with pytest.raises(LeaseLost):
        _, number, hash_ = before["checkpoint"][0]
        slow._write(Batch(slow.chain_id), [], Header(number, hash_, ""), Header(number + 1, "0x" + "00" * 32, ""))
    assert read_model(slow.engine) == before
