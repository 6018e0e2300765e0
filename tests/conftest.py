"""Shared fixtures: one real node of each kind per test session, contracts deployed once,
and every test isolated by evm_snapshot / evm_revert.

A module marked `every_node` runs once per node implementation (Hardhat and anvil), the way
web3.py runs one module test suite per backend; other chain tests run on Hardhat only, and a
test of what only one node can produce says so with `only_node(kind)` and its reason.
Node-specific behaviour is named in the test (`if chain.node.kind == "anvil"`), never skipped."""

import os
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings

# The suite runs on several workers of a 2-core machine (make test): how fast Hypothesis draws its
# inputs, or how long one example takes, depends on the load, and is not what these properties test.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")

from ledger.chain.node import Sender, account_at, connect, contract_at, signers_from_mnemonic
from ledger.chain.deploy import deploy
from devtools.dev_node import NODE_KINDS, LocalNode
from ledger.core.crypto_profile import PROFILE_NAMES, PROFILES, CryptoProfile
from ledger.core.settings import DEV_MNEMONIC, get_settings

OUTSIDER_INDEX = 9  # a development account that holds no role


@pytest.fixture(autouse=True)
def settings_of_the_test_environment():
    """get_settings() caches per process: each test reads its own environment (monkeypatched or not)."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(params=PROFILE_NAMES)
def crypto_profile(request, monkeypatch) -> CryptoProfile:
    """A test that takes this runs once per crypto profile (standard, gm), with LEDGER_CRYPTO_PROFILE set
    to match for it and for the processes it starts."""
    monkeypatch.setenv("LEDGER_CRYPTO_PROFILE", request.param)
    get_settings.cache_clear()
    return PROFILES[request.param]


@dataclass
class Chain:
    """The deployed contracts on the session's node, with a Sender per role."""

    node: LocalNode
    w3: object
    manifest: object
    signers: dict
    fee: object = None
    registry: object = None
    draws: object = None
    senders: dict = field(default_factory=dict)
    _snapshot: str | None = None

    def __post_init__(self):
        self.fee = contract_at(self.w3, "FeeLedger", self.manifest.latest("FeeLedger").address)
        self.registry = contract_at(self.w3, "CommitmentRegistry", self.manifest.latest("CommitmentRegistry").address)
        self.draws = contract_at(self.w3, "InspectionDraws", self.manifest.latest("InspectionDraws").address)

    def rpc(self, method: str, params: list | None = None):
        response = self.w3.provider.make_request(method, params or [])
        assert "error" not in response, response
        return response["result"]

    def snapshot(self) -> None:
        self._snapshot = self.rpc("evm_snapshot")

    def reset(self) -> None:
        """Back to the state right after deployment; fresh Senders (their nonces were reverted too)."""
        if self._snapshot is not None:
            assert self.rpc("evm_revert", [self._snapshot]) is True
        self.snapshot()
        accounts = {**self.signers, "OUTSIDER": account_at(DEV_MNEMONIC, OUTSIDER_INDEX)}
        self.senders = {role: Sender(self.w3, account) for role, account in accounts.items()}

    def now(self) -> int:
        return self.w3.eth.get_block("latest")["timestamp"]

    def mine(self, blocks: int) -> None:
        """Mine `blocks` empty blocks one by one (hardhat_mine's bulk blocks do not chain by parent hash)."""
        for _ in range(blocks):
            self.rpc("evm_mine")

    def travel(self, seconds: int) -> None:
        self.rpc("evm_increaseTime", [seconds])
        self.rpc("evm_mine")


def node_kinds(definition) -> tuple[str, ...]:
    """The nodes a test runs on: both for an `every_node` module (or only LEDGER_DEV_NODE's, when a
    developer sets it to work on one node; `make test` unsets it), one for `only_node(kind)`, else Hardhat."""
    if only := definition.get_closest_marker("only_node"):  # behaviour one node cannot produce
        return only.args
    if not definition.get_closest_marker("every_node"):
        return ("hardhat",)
    chosen = os.environ.get("LEDGER_DEV_NODE")
    if chosen is None:
        return NODE_KINDS
    if chosen not in NODE_KINDS:
        raise pytest.UsageError(f"LEDGER_DEV_NODE={chosen!r}: must be one of {', '.join(NODE_KINDS)}")
    return (chosen,)


def pytest_generate_tests(metafunc):
    if "node_kind" in metafunc.fixturenames:
        metafunc.parametrize("node_kind", node_kinds(metafunc.definition), indirect=True, scope="session")


@pytest.fixture(scope="session")
def node_kind(request) -> str:
    """ "hardhat" or "anvil": the session's shared node and a module's own node are of this kind."""
    return request.param


@pytest.fixture(scope="session")
def node(node_kind):
    with LocalNode(kind=node_kind) as local_node:
        yield local_node


def deploy_chain(node: LocalNode) -> Chain:
    """Deploy the contracts on `node` and snapshot the state right after deployment."""
    w3 = connect(node.url)
    signers = signers_from_mnemonic(DEV_MNEMONIC)
    manifest, _ = deploy(w3, signers)
    chain = Chain(node=node, w3=w3, manifest=manifest, signers=signers)
    chain.reset()
    return chain


@pytest.fixture(scope="session")
def deployed_chain(node):
    return deploy_chain(node)


@pytest.fixture
def chain(deployed_chain):
    deployed_chain.reset()
    yield deployed_chain
    deployed_chain.reset()


# The public's world (API, portal and browser tests share it): defined with the shared fixtures so
# that one instance serves the session.
from tests.support.public_world import public_world  # noqa: E402,F401

# Migrated databases are copies of one migrated once per session (tests/support/databases.py).
from tests.support.databases import migrated_templates  # noqa: E402,F401
