import pytest

from ledger.db.engine import make_engine
from tests.support.chain import chain, module_chain  # noqa: F401  (a node per module: its clock is the wall clock)
from tests.support.databases import database_url, engine, make_database, session  # noqa: F401
from tests.support.ledger_env import WritePath


@pytest.fixture
def write_path(chain, database_url, monkeypatch):
    from ledger.domain import chain_time

    clock = chain_time.ChainClock(chain.node.url)  # the services judge fact times by this node's clock
    monkeypatch.setattr(chain_time, "chain_clock", lambda: clock)
    engine = make_engine(database_url)
    yield WritePath(chain=chain, url=database_url, engine=engine)
    engine.dispose()
