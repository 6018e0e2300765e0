"""The `finalized` tag on a real node: Hardhat reports the head as finalized, anvil the head
minus 64 blocks (as a proof-of-stake chain lags by two epochs). With LEDGER_USE_FINALIZED_TAG
the indexer stops at the finalized block and follows behind it."""

import os
import subprocess
import sys
import threading
import time

import pytest

from ledger.chain.rpc import JsonRpc
from tests.ledger.indexer.conftest import make_indexer, read_model, workload

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil

ANVIL_FINALITY_LAG = 64


def mine(chain, blocks: int) -> None:
    JsonRpc(chain.node.url).batch("evm_mine", [[]] * blocks)


def finalized_and_head(chain) -> tuple[int, int]:
    rpc = JsonRpc(chain.node.url)
    return rpc.finalized_block_number(), rpc.block_number()


def expected_finalized(chain, head: int) -> int:
    if chain.node.kind == "anvil":  # anvil's finalized block lags the head by 64 blocks
        return max(0, head - ANVIL_FINALITY_LAG)
    return head  # Hardhat: every block is final at once


def ledger(*args, env):
    # A timeout fails the test: before the fix, `ledger index` polled forever below the head.
    return subprocess.run([sys.executable, "-m", "ledger", *args], env=env, capture_output=True, text=True, timeout=120)


def test_ledger_index_and_reindex_with_the_finalized_tag_return_at_the_finalized_block(chain, tmp_path):
    workload(chain).every_event(200)
    mine(chain, ANVIL_FINALITY_LAG + 6)
    finalized, head = finalized_and_head(chain)
    assert finalized == expected_finalized(chain, head)
    chain.manifest.save(tmp_path / "deployment.json")
    database_url = f"sqlite:///{tmp_path / 'read-model.db'}"
    env = {
        **os.environ,
        "LEDGER_RPC_URL": chain.node.url,
        "LEDGER_MANIFEST_PATH": str(tmp_path / "deployment.json"),
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_USE_FINALIZED_TAG": "true",
    }
    assert ledger("db", "upgrade", env=env).returncode == 0

    for command in ("index", "reindex"):
        result = ledger(command, env=env)
        assert result.returncode == 0, result.stderr
        indexer = make_indexer(chain, database_url)
        assert read_model(indexer.engine)["checkpoint"][0][1] == finalized


def test_following_with_the_finalized_tag_keeps_up_behind_the_finalized_block(chain, database_url):
    load = workload(chain)
    load.pay(load.assess(3), 4)
    indexer = make_indexer(chain, database_url, use_finalized=True, poll_seconds=0.05)
    stop = threading.Event()
    follower = threading.Thread(target=indexer.follow, args=(stop,), daemon=True)
    follower.start()
    try:
        for _ in range(2):
            load.pay(load.assess(2), 2)
            mine(chain, ANVIL_FINALITY_LAG // 2)
            finalized, head = finalized_and_head(chain)
            assert finalized == expected_finalized(chain, head)
            deadline = time.monotonic() + 60
            while read_model(indexer.engine)["checkpoint"][0][1] != finalized:
                assert time.monotonic() < deadline, "the follower did not reach the finalized block"
                assert follower.is_alive()
                time.sleep(0.05)
    finally:
        stop.set()
        follower.join(30)
    assert not follower.is_alive()
    if chain.node.kind == "anvil":
        assert finalized < head  # the blocks after the finalized one wait for it
