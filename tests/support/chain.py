"""A development node of the test module's own, so its clock stays the wall clock.

The session's shared node (tests/conftest.py) has its time moved by other tests (evm_increaseTime,
pinned block times), and evm_revert does not move it back. The write path checks payment and
fact times against the wall clock and FeeLedger v2 against the block time, so these tests need a
chain whose clock agrees with the wall clock. The node is of the session's `node_kind`: a module
marked `every_node` gets one of each.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from devtools.dev_node import LocalNode
from tests.conftest import deploy_chain


@pytest.fixture(scope="module")
def module_chain(node_kind):
    with LocalNode(kind=node_kind) as node:
        yield deploy_chain(node)


@pytest.fixture
def chain(module_chain):
    """The module's chain, back at its post-deployment state for every test."""
    module_chain.reset()
    yield module_chain
    module_chain.reset()


@contextmanager
def block_gas_limit(chain, limit: int) -> Iterator[None]:
    """Blocks of `limit` gas on the chain's node (evm_setBlockGasLimit: Hardhat and anvil both
    take it), back to the configured limit afterwards (evm_revert does not restore it)."""
    configured = chain.w3.eth.get_block("latest")["gasLimit"]
    chain.rpc("evm_setBlockGasLimit", [hex(limit)])
    chain.rpc("evm_mine")  # the latest block carries the limit the ledger reads
    try:
        yield
    finally:
        chain.rpc("evm_setBlockGasLimit", [hex(configured)])
        chain.rpc("evm_mine")
