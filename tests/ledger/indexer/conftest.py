"""Indexer fixtures: a fresh read model on SQLite and on PostgreSQL for every test."""

import itertools

import pytest
from sqlalchemy import text

from devtools.bench.workload import Workload
from ledger.chain.node import connect, signers_from_mnemonic
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.chain.deploy import DeployOptions, deploy
from devtools.dev_node import LocalNode
from ledger.db.read_model import AGGREGATE_TABLES, EVENT_TABLES
from ledger.indexer.loop import Indexer, IndexerConfig
from ledger.chain.rpc import JsonRpc
from ledger.core.settings import DEV_MNEMONIC
from tests.conftest import Chain

_owners = itertools.count()


@pytest.fixture
def new_database(tmp_path, migrated_templates):
    """Makes empty read models ("sqlite" or "postgresql") at the head revision (copies of a database
    migrated once per session: tests/support/databases.py), dropped after the test.
    PostgreSQL must be running: a missing server fails the test, never skips it."""
    drops, names = [], itertools.count()

    def make(kind: str) -> str:
        if kind == "sqlite":
            return migrated_templates.sqlite(tmp_path / f"read-model-{next(names)}.db")
        url, drop = migrated_templates.postgresql("ledger_test")
        drops.append(drop)
        return url

    yield make
    for drop in drops:
        drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, new_database):
    """The read model under test, once on each kind of database."""
    return new_database(request.param)


@pytest.fixture(scope="module")
def import_chain(node_kind):
    """A deployment whose import window is open (`DeployOptions(import_planned=True)`), on a node
    of the module's own: every v3 event can be emitted, the imports included (a deployment seals
    the import by default). Back at its post-deployment state for every test."""
    with LocalNode(kind=node_kind) as node:
        w3, signers = connect(node.url), signers_from_mnemonic(DEV_MNEMONIC)
        manifest, _ = deploy(w3, signers, options=DeployOptions(import_planned=True))
        chain = Chain(node=node, w3=w3, manifest=manifest, signers=signers)
        chain.reset()
        yield chain


@pytest.fixture
def importing_chain(import_chain):
    import_chain.reset()
    yield import_chain
    import_chain.reset()


def kind_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def make_indexer(chain, url: str, **config) -> Indexer:
    engine = make_engine(url)
    upgrade_schema(engine)
    return Indexer(
        engine=engine,
        rpc=JsonRpc(chain.node.url),
        manifest=chain.manifest,
        config=IndexerConfig(**config),
        owner=f"test-{next(_owners)}",
    )


def workload(chain, seed: int = 7, **kw) -> Workload:
    """A Workload with fresh nonces (call again after an evm_revert)."""
    return Workload(chain.w3, chain.manifest, chain.signers, seed=seed, **kw)


def read_model(engine) -> dict[str, list[tuple]]:
    """Every event and aggregate row, sorted, plus the checkpoint: what a fresh re-index must reproduce."""
    tables = {}
    with engine.connect() as conn:
        for model in [*EVENT_TABLES, *AGGREGATE_TABLES]:
            tables[model.__tablename__] = sorted(
                tuple(r) for r in conn.execute(text(f"SELECT * FROM {model.__tablename__}"))
            )
        tables["checkpoint"] = conn.execute(text("SELECT chain_id, block_number, block_hash FROM chain_state")).all()
    return tables


def indexer_via(chain, url: str, node_url: str, *, batch_size: int = 500, timeout: float = 10, **config) -> Indexer:
    """An indexer that reads the chain through another endpoint (a FaultyNode proxy)."""
    indexer = make_indexer(chain, url, **config)
    indexer.rpc = JsonRpc(node_url, timeout=timeout, batch_size=batch_size)
    return indexer


def within(seconds: float, function, *args):
    """Run `function` in a thread; fail the test if it has not returned after `seconds`."""
    import threading

    outcome = {}

    def run():
        try:
            outcome["value"] = function(*args)
        except BaseException as exc:  # handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{getattr(function, '__name__', function)} did not return within {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
