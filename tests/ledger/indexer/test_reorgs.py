"""Reorgs built with evm_snapshot / evm_revert on the Hardhat node, different transactions on the new branch."""

import threading

import pytest
from sqlalchemy import text

from ledger.core.errors import ReorgTooDeep
from ledger.core.identifiers import reference_key
from ledger.indexer.store import load_checkpoint
from tests.ledger.indexer.conftest import indexer_via, kind_of, make_indexer, read_model, within, workload
from tests.ledger.indexer.faulty_node import Faults, FaultyNode

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


def one_block_each(chain, seed: int, blocks: int, projects) -> None:
    """`blocks` blocks, each with one payment whose voucher depends on `seed`."""
    load = workload(chain, seed=seed)
    for _ in range(blocks):
        load.pay(projects, 1)


def base_history(chain):
    load = workload(chain, seed=1)
    projects = load.assess(3)
    load.record(projects, 4)
    return projects


def stored_hashes(engine) -> set[str]:
    with engine.connect() as conn:
        return {
            row[0]
            for row in conn.execute(
                text(
                    "SELECT block_hash FROM raw_events UNION SELECT block_hash FROM indexed_blocks "
                    "UNION SELECT block_hash FROM fee_accounts UNION SELECT block_hash FROM chain_state"
                )
            )
        }


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_after_a_reorg_the_read_model_equals_a_fresh_reindex(chain, database_url, new_database, depth):
    projects = base_history(chain)
    fork_point = chain.w3.eth.block_number
    snapshot = chain.rpc("evm_snapshot")
    one_block_each(chain, seed=100, blocks=depth, projects=projects)
    orphaned = {chain.w3.eth.get_block(fork_point + i)["hash"].to_0x_hex() for i in range(1, depth + 1)}

    indexer = make_indexer(chain, database_url)
    indexer.catch_up()
    assert orphaned <= stored_hashes(indexer.engine)

    assert chain.rpc("evm_revert", [snapshot]) is True
    one_block_each(chain, seed=200, blocks=depth, projects=projects)  # same height, other transactions
    indexer.catch_up()

    assert indexer.last_reorg.depth == depth
    assert indexer.last_reorg.ancestor == fork_point
    assert not orphaned & stored_hashes(indexer.engine)
    with indexer.engine.connect() as conn:
        assert load_checkpoint(conn, chain.manifest.chain_id).block_number == fork_point + depth

    fresh = make_indexer(chain, new_database(kind_of(database_url)))
    fresh.catch_up()
    assert read_model(indexer.engine) == read_model(fresh.engine)


def test_a_reorg_plus_a_new_block_in_one_poll_is_caught_on_the_parent_hash_path(chain, database_url, new_database):
    projects = base_history(chain)
    snapshot = chain.rpc("evm_snapshot")
    one_block_each(chain, seed=100, blocks=1, projects=projects)
    indexer = make_indexer(chain, database_url)
    indexer.catch_up()

    chain.rpc("evm_revert", [snapshot])
    one_block_each(chain, seed=200, blocks=2, projects=projects)  # replaces the tip and adds one block
    indexer.catch_up()

    assert indexer.last_reorg.detected_by == "parent_hash"
    assert indexer.last_reorg.depth == 1
    fresh = make_indexer(chain, new_database(kind_of(database_url)))
    fresh.catch_up()
    assert read_model(indexer.engine) == read_model(fresh.engine)


def test_a_reorg_deeper_than_the_limit_halts_with_the_named_error_and_changes_nothing(chain, database_url):
    projects = base_history(chain)
    snapshot = chain.rpc("evm_snapshot")
    one_block_each(chain, seed=100, blocks=5, projects=projects)
    indexer = make_indexer(chain, database_url, reorg_limit=3)
    indexer.catch_up()
    before = read_model(indexer.engine)

    chain.rpc("evm_revert", [snapshot])
    one_block_each(chain, seed=200, blocks=6, projects=projects)
    with pytest.raises(ReorgTooDeep, match="reorg limit of 3 blocks"):
        indexer.catch_up()
    assert read_model(indexer.engine) == before


def test_a_reorg_that_orphans_commitments_ends_equal_to_a_fresh_reindex(chain, database_url, new_database):
    load = workload(chain, seed=1)
    projects = load.assess(3)
    kept = load.record(projects, 3)
    snapshot = chain.rpc("evm_snapshot")
    branch = workload(chain, seed=100)
    orphaned = branch.record(projects, 4)
    branch.decide("fulfil", orphaned[:2] + kept[:1], reference_key("evidence"), None)
    indexer = make_indexer(chain, database_url)
    indexer.catch_up()
    with indexer.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM commitments")).scalar_one() == 7

    chain.rpc("evm_revert", [snapshot])
    other = workload(chain, seed=200)
    other.record(projects, 2)
    other.decide("fulfil", kept[1:2], reference_key("evidence"), None)
    indexer.catch_up()

    assert indexer.last_reorg is not None
    fresh = make_indexer(chain, new_database(kind_of(database_url)))
    fresh.catch_up()
    assert read_model(indexer.engine) == read_model(fresh.engine)
    with indexer.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM commitments")).scalar_one() == 5


def test_a_reorg_while_batches_are_in_flight_ends_equal_to_a_fresh_reindex(chain, database_url, new_database):
    projects = base_history(chain)
    hold = threading.Event()
    with FaultyNode(chain.node.url, Faults(hold_get_logs=hold, hold_from=10**9)) as node:
        indexer = indexer_via(chain, database_url, node.url, range_max=2)
        indexer.catch_up()
        snapshot = chain.rpc("evm_snapshot")
        one_block_each(chain, seed=100, blocks=10, projects=projects)
        node.faults.hold_from = node.seen["get_logs"] + 3  # two ranges of this branch pass, the third waits
        catching_up = threading.Thread(target=lambda: within(120, indexer.catch_up))
        catching_up.start()
        try:
            assert node.get_logs_held.wait(60), "the pipeline never reached the held fetch"
            chain.rpc("evm_revert", [snapshot])  # the chain reorganises under the running pipeline
            one_block_each(chain, seed=200, blocks=12, projects=projects)
        finally:
            hold.set()
            catching_up.join(150)
        assert not catching_up.is_alive()
    assert indexer.last_reorg is not None and indexer.last_reorg.detected_by == "parent_hash"
    fresh = make_indexer(chain, new_database(kind_of(database_url)))
    fresh.catch_up()
    assert read_model(indexer.engine) == read_model(fresh.engine)
