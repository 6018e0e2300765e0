"""A Hardhat node of the test module's own, so its clock stays the wall clock.

The session's shared node (tests/conftest.py) has its time moved by other tests (evm_increaseTime,
pinned block times), and evm_revert does not move it back. The write path checks payment and
fact times against the wall clock and FeeLedger v2 against the block time, so these tests need a
chain whose clock agrees with the wall clock.
"""

import pytest

from ledger.chain import connect, signers_from_mnemonic
from ledger.deploy import deploy
from ledger.devchain import LocalNode
from ledger.settings import DEV_MNEMONIC
from tests.conftest import Chain


@pytest.fixture(scope="module")
def module_chain():
    with LocalNode() as node:
        w3 = connect(node.url)
        signers = signers_from_mnemonic(DEV_MNEMONIC)
        manifest, _ = deploy(w3, signers)
        chain = Chain(node=node, w3=w3, manifest=manifest, signers=signers)
        chain.reset()
        yield chain


@pytest.fixture
def chain(module_chain):
    """The module's chain, back at its post-deployment state for every test."""
    module_chain.reset()
    yield module_chain
    module_chain.reset()
