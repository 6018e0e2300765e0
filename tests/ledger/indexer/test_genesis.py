"""A read model built on one chain is refused on a chain with another genesis, unless rebuilt."""

import pytest

from ledger.chain.node import connect
from ledger.chain.deploy import deploy
from devtools.dev_node import LocalNode
from ledger.core.errors import GenesisMismatch
from ledger.chain.rpc import JsonRpc
from tests.ledger.indexer.conftest import kind_of, make_indexer, read_model, workload


def test_a_new_genesis_is_refused_and_rebuilt_only_with_the_explicit_flag(chain, database_url, new_database):
    workload(chain).every_event(200)
    first = make_indexer(chain, database_url)
    first.catch_up()
    first.release()

    with LocalNode() as other_node:  # a fresh chain: same chain id, another genesis
        other_manifest, _ = deploy(connect(other_node.url), chain.signers)
        for rebuild in (False, True):
            indexer = make_indexer(chain, database_url)
            indexer.rpc, indexer.manifest, indexer.rebuild = JsonRpc(other_node.url), other_manifest, rebuild
            if not rebuild:
                with pytest.raises(GenesisMismatch, match="ledger index --rebuild"):
                    indexer.run_once()
                indexer.release()
        indexer.catch_up()
        rebuilt = read_model(indexer.engine)

        fresh = make_indexer(chain, new_database(kind_of(database_url)))
        fresh.rpc, fresh.manifest = JsonRpc(other_node.url), other_manifest
        fresh.catch_up()
        assert rebuilt == read_model(fresh.engine)
        assert len(rebuilt["raw_events"]) < 200  # only the other chain's deployment events remain


def test_a_running_indexer_whose_node_was_reset_halts_on_the_genesis_not_as_a_deep_reorg(chain, database_url):
    workload(chain).every_event(20)
    indexer = make_indexer(chain, database_url)
    indexer.catch_up()  # prepared: the genesis was checked when it started
    with LocalNode() as reset_node:  # the same URL serving a fresh chain, as after a node reset
        indexer.rpc = JsonRpc(reset_node.url)
        with pytest.raises(GenesisMismatch, match="ledger index --rebuild"):
            indexer.run_once()
    indexer.release()
