"""Block times (the credit record's as-of): from the logs' own `blockTimestamp` where the node
puts it there (anvil 1.x), else from block headers (Hardhat 2.x); right again after a reorg."""

import threading

import pytest
from sqlalchemy import text

from ledger.chain.rpc import JsonRpc
from ledger.indexer.fetch import fetch
from ledger.indexer.ranges import RangeSizer
from tests.ledger.indexer.conftest import make_indexer, workload

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


class CountingRpc(JsonRpc):
    """A JsonRpc that remembers which block headers it was asked for."""

    def __init__(self, url: str):
        super().__init__(url)
        self.headers_read: list[int] = []

    def blocks(self, numbers: list[int]) -> list[dict | None]:
        self.headers_read.extend(numbers)
        return super().blocks(numbers)


def history(chain) -> None:
    load = workload(chain, seed=3)
    projects = load.assess(3)
    load.pay(projects, 4)
    load.record(projects, 3)


def node_times(chain, numbers) -> dict[int, tuple[str, int]]:
    blocks = [chain.w3.eth.get_block(n) for n in numbers]
    return {b["number"]: (b["hash"].to_0x_hex(), b["timestamp"]) for b in blocks}


def stored_times(engine, chain_id: int) -> dict[int, tuple[str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT block_number, block_hash, timestamp FROM block_times WHERE chain_id = :c"), {"c": chain_id}
        )
        return {number: (hash_, timestamp) for number, hash_, timestamp in rows}


def test_block_times_equal_the_headers_timestamps(chain, database_url):
    history(chain)
    indexer = make_indexer(chain, database_url, reorg_limit=2)  # most blocks take the path without headers
    indexer.catch_up()

    stored = stored_times(indexer.engine, chain.manifest.chain_id)
    with indexer.engine.connect() as conn:
        holding_logs = {r[0] for r in conn.execute(text("SELECT DISTINCT block_number FROM raw_events"))}
    assert len(stored) > 5
    assert set(stored) == holding_logs
    assert stored == node_times(chain, stored)


def test_a_range_whose_logs_carry_their_block_time_reads_no_header_for_it(chain):
    history(chain)
    rpc = CountingRpc(chain.node.url)
    head = rpc.block_number()
    addresses = [c.address.lower() for c in chain.manifest.contracts]
    sizer = RangeSizer(maximum=head + 1, target_logs=1_000_000)
    sizer.size = head + 1  # one range, block 0 to the head

    fetched = fetch(rpc, addresses, sizer, 0, head, final=head, stop=threading.Event())  # the whole range is final

    assert fetched is not None and fetched.high == head
    holding_logs = sorted({int(raw["blockNumber"], 16) for raw in fetched.logs})
    assert len(holding_logs) > 5
    assert {n: (h, t) for n, h, t in fetched.times} == node_times(chain, holding_logs)
    if chain.node.kind == "anvil":  # anvil 1.x puts blockTimestamp on every log
        assert all("blockTimestamp" in raw for raw in fetched.logs)
        assert rpc.headers_read == [head]  # the range's last header only, to check the chain
    else:  # Hardhat 2.x does not: the headers of the blocks holding logs are read
        assert not any("blockTimestamp" in raw for raw in fetched.logs)
        assert sorted(rpc.headers_read) == sorted({head, *holding_logs})


def test_after_a_reorg_the_block_times_are_those_of_the_new_blocks(chain, database_url):
    load = workload(chain, seed=1)
    projects = load.assess(3)
    snapshot = chain.rpc("evm_snapshot")
    load.pay(projects, 3)
    indexer = make_indexer(chain, database_url)
    indexer.catch_up()
    orphaned = stored_times(indexer.engine, chain.manifest.chain_id)

    assert chain.rpc("evm_revert", [snapshot]) is True
    chain.rpc("evm_increaseTime", [3_600])  # the new branch's blocks carry other times than the old ones
    workload(chain, seed=2).pay(projects, 3)
    indexer.catch_up()

    assert indexer.last_reorg is not None
    stored = stored_times(indexer.engine, chain.manifest.chain_id)
    assert stored == node_times(chain, stored)  # the new blocks' hashes and times
    replaced = {n for n in orphaned if n in stored and stored[n][0] != orphaned[n][0]}
    assert replaced, "the reorg replaced no block"
    assert any(stored[n][1] != orphaned[n][1] for n in replaced)  # and their times with them
