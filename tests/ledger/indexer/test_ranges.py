"""The adaptive eth_getLogs range, against a stand-in for a node with a result limit (Besu and
most providers refuse large ranges; the local Hardhat node never does)."""

import pytest

from ledger.indexer.ranges import RangeSizer, fetch_range
from ledger.chain.rpc import RpcError


class LimitedNode:
    """Refuses any range of more than `limit` blocks, like a node with a result cap."""

    def __init__(self, limit: int, logs_per_block: int = 1):
        self.limit, self.logs_per_block, self.asked = limit, logs_per_block, []

    def get_logs(self, addresses, low, high):
        self.asked.append((low, high))
        if high - low + 1 > self.limit:
            raise RpcError("eth_getLogs", {"code": -32005, "message": "query returned more than 10000 results"})
        return [{}] * ((high - low + 1) * self.logs_per_block)


def test_a_refused_range_is_halved_until_the_node_answers():
    node, sizer = LimitedNode(limit=100), RangeSizer(maximum=2_000, target_logs=1_000_000)
    sizer.size = 2_000
    high, logs = fetch_range(node, [], sizer, 1, 10_000)
    assert (high, len(logs)) == (62, 62)  # 2000 → 1000 → 500 → 250 → 125 → 62 blocks
    assert len(node.asked) == 6


def test_the_range_grows_while_blocks_are_sparse_and_shrinks_when_dense():
    sizer = RangeSizer(maximum=2_000, target_logs=1_000)
    start = sizer.size
    sizer.observed(10)
    assert sizer.size == 2 * start
    sizer.size = 1_000
    sizer.observed(5_000)
    assert sizer.size == 500


def test_a_node_that_refuses_even_one_block_raises_its_error():
    with pytest.raises(RpcError, match="more than 10000 results"):
        fetch_range(LimitedNode(limit=0), [], RangeSizer(maximum=8, target_logs=10), 1, 100)


class FailingNode:
    """Answers eth_getLogs with an error that says nothing about the range."""

    def __init__(self):
        self.asked = 0

    def get_logs(self, addresses, low, high):
        self.asked += 1
        raise RpcError("eth_getLogs", {"code": -32000, "message": "header not found"})


def test_an_error_that_is_not_a_range_refusal_is_raised_at_once_not_shrunk():
    node, sizer = FailingNode(), RangeSizer(maximum=2_000, target_logs=1_000)
    sizer.size = 2_000
    with pytest.raises(RpcError, match="header not found"):
        fetch_range(node, [], sizer, 1, 10_000)
    assert (node.asked, sizer.size) == (1, 2_000)


@pytest.mark.parametrize(
    "message",
    [
        "query returned more than 10000 results",
        "exceed maximum block range: 5000",
        "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range",
        "too many logs",
    ],
)
def test_range_refusals_as_nodes_word_them_shrink_the_range(message):
    class Refusing:
        def get_logs(self, addresses, low, high):
            if high - low + 1 > 10:
                raise RpcError("eth_getLogs", {"code": -32602, "message": message})
            return []

    sizer = RangeSizer(maximum=100, target_logs=1_000)
    sizer.size = 100
    high, _ = fetch_range(Refusing(), [], sizer, 1, 1_000)
    assert high == 6  # 100 → 50 → 25 → 12 → 6 blocks
