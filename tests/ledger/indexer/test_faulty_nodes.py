"""The indexer against a proxy that behaves like real nodes and networks (faulty_node.py):
request limits, resets, 5xx and 429, a timeout, an answer missing logs, unknown topics, a
`finalized` block behind the head."""

import threading
import time

from sqlalchemy import text

from ledger.indexer.loop import Indexer
from ledger.chain.rpc import JsonRpc
from tests.ledger.indexer.conftest import indexer_via, kind_of, make_indexer, read_model, within, workload
from tests.ledger.indexer.faulty_node import UNKNOWN_TOPIC, Faults, FaultyNode


def fresh_read_model(chain, database_url, new_database):
    fresh = make_indexer(chain, new_database(kind_of(database_url)))
    within(120, fresh.catch_up)
    return read_model(fresh.engine)


def mine(chain, blocks: int) -> None:
    """Empty blocks, mined one by one (hardhat_mine's bulk blocks do not chain by parent hash)."""
    JsonRpc(chain.node.url).batch("evm_mine", [[]] * blocks)


def test_an_indexer_5000_blocks_behind_catches_up_through_a_node_refusing_batches_over_1000(
    chain, database_url, new_database
):
    load = workload(chain)
    projects = load.assess(5)
    mine(chain, 5_000)  # the indexer was down while the chain moved on
    load.pay(projects, 20)
    indexer_config = dict(reorg_limit=10_000)  # every block of the backlog inside the reorg window
    with FaultyNode(chain.node.url, Faults(max_batch=1_000)) as node:
        indexer = indexer_via(chain, database_url, node.url, **indexer_config)
        within(300, indexer.catch_up)
        assert node.seen["refused_batches"] == 0
        assert 0 < node.seen["largest_batch"] <= 500

        # A node configured below our batch size: the refused batch is halved, the catch-up goes on.
        mine(chain, 3_000)
        node.faults.max_batch = 300
        within(300, indexer.catch_up)
        assert node.seen["refused_batches"] >= 1
        assert indexer.rpc.batch_size <= 300
    assert read_model(indexer.engine) == fresh_read_model(chain, database_url, new_database)


def test_resets_502s_rate_limits_and_a_timeout_never_stop_the_loop_and_lose_nothing(chain, database_url, new_database):
    workload(chain, payment_batch=4).every_event(600)
    faults = Faults(reset_rate=0.05, http_502_rate=0.05, http_429_rate=0.03, timeouts=1, timeout_seconds=1.5, seed=3)
    with FaultyNode(chain.node.url, faults) as node:
        indexer = indexer_via(
            chain, database_url, node.url, timeout=1.0, range_max=8, poll_seconds=0.02, retry_max_seconds=0.2
        )
        stop, failure = threading.Event(), []

        def follow():
            try:
                indexer.follow(stop)
            except BaseException as exc:
                failure.append(exc)

        thread = threading.Thread(target=follow)
        thread.start()
        head, deadline = chain.w3.eth.block_number, time.monotonic() + 180
        try:
            while (read_model(indexer.engine)["checkpoint"] or [(0, -1)])[0][1] < head:
                assert not failure, failure
                assert thread.is_alive(), "the loop exited"
                assert time.monotonic() < deadline, "no catch-up within 180 s"
                stop.wait(0.1)
        finally:
            stop.set()
            thread.join(30)
        assert not thread.is_alive() and not failure, failure
        assert node.seen["resets"] and node.seen["http_502"] and node.seen["http_429"] and node.seen["timeouts"] == 1
    with indexer.engine.connect() as conn:
        kinds = dict(conn.execute(text("SELECT kind, count FROM indexer_errors")).all())
    assert {"ChainUnavailable", "RateLimited"} <= kinds.keys()
    assert read_model(indexer.engine) == fresh_read_model(chain, database_url, new_database)


def test_an_empty_get_logs_answer_for_blocks_whose_bloom_has_logs_is_asked_again(chain, database_url, new_database):
    load = workload(chain)
    load.pay(load.assess(4), 6)
    with FaultyNode(chain.node.url, Faults(empty_logs_once=True)) as node:
        indexer = indexer_via(chain, database_url, node.url)
        within(60, indexer.catch_up)
        assert node.seen["emptied_answers"] == 1
    assert read_model(indexer.engine) == fresh_read_model(chain, database_url, new_database)


def test_a_log_with_a_topic_no_abi_declares_is_stored_raw_and_counted(chain, database_url, new_database):
    load = workload(chain)
    load.pay(load.assess(3), 3)
    block = chain.w3.eth.block_number - 1
    address = chain.manifest.latest("FeeLedger").address.lower()
    faults = Faults(unknown_log_in_block=block, unknown_log_address=address)
    with FaultyNode(chain.node.url, faults) as node:
        indexer = indexer_via(chain, database_url, node.url)
        within(60, indexer.catch_up)
        assert node.seen["unknown_logs"] >= 1
    with indexer.engine.connect() as conn:
        unknown = conn.execute(
            text("SELECT block_number, log_index, contract, address, topics FROM raw_events WHERE event IS NULL")
        ).all()
        counted = conn.execute(text("SELECT unknown_events FROM chain_state")).scalar_one()
    assert [(b, i, c, a) for b, i, c, a, _ in unknown] == [(block, 1000, "FeeLedger", address)]
    assert bytes(unknown[0][4])[:32] == bytes.fromhex(UNKNOWN_TOPIC[2:])
    assert counted == 1
    ours, fresh = read_model(indexer.engine), fresh_read_model(chain, database_url, new_database)
    ours["raw_events"] = [row for row in ours["raw_events"] if row[1:3] != (block, 1000)]
    assert ours == fresh  # everything else as a fresh index through the plain node


def test_catch_up_returns_when_the_finalized_block_lags_the_head(chain, database_url):
    load = workload(chain)
    load.pay(load.assess(3), 4)
    with FaultyNode(chain.node.url, Faults(finalized_lag=5)) as node:
        indexer = indexer_via(chain, database_url, node.url, use_finalized=True)
        within(60, indexer.catch_up)  # it never returned: the stop test ignored the finalized bound
    head = chain.w3.eth.block_number
    assert read_model(indexer.engine)["checkpoint"][0][1] == head - 5


def test_a_contract_added_to_the_manifest_after_indexing_began_is_backfilled(chain, database_url, new_database):
    load = workload(chain)
    projects = load.assess(3)
    load.record(projects, 4)
    only_fees = chain.manifest.model_copy(update={"contracts": [chain.manifest.latest("FeeLedger")]})
    base = make_indexer(chain, database_url)
    first = Indexer(engine=base.engine, rpc=base.rpc, manifest=only_fees, config=base.config, owner=base.owner)
    within(60, first.catch_up)
    first.release()
    with first.engine.connect() as conn:
        assert not conn.execute(text("SELECT count(*) FROM commitment_events")).scalar_one()
    load.pay(projects, 3)
    load.record(projects, 2)

    later = make_indexer(chain, database_url)  # the full manifest: CommitmentRegistry is new to the read model
    within(60, later.catch_up)
    assert read_model(later.engine) == fresh_read_model(chain, database_url, new_database)
