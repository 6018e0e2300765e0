import pytest

from tests.support.databases import database_url, engine, make_database, session  # noqa: F401
from tests.support.rates import mirror_sample_rate_table


@pytest.fixture(autouse=True)
def published_rates(request):
    """The sample rate table as deploy publishes it and the indexer mirrors it, in the test's database.
    A test that takes no database (a rule judged on values alone) runs once, without one; a test that
    takes one runs on SQLite and on PostgreSQL."""
    if "database_url" in request.fixturenames:
        mirror_sample_rate_table(request.getfixturevalue("engine"))


class FixedChainClock:
    """The chain's clock for services tested without a node: the wall clock when the test began,
    shifted by `offset` seconds. Frozen, so a test that compares two readings never sees a second tick."""

    def __init__(self, offset: int = 0):
        import time

        self.started = int(time.time())
        self.offset = offset

    def now(self) -> int:
        return self.started + self.offset

    def latest_allowed(self) -> int:
        from ledger.domain.chain_time import CLOCK_SKEW_SECONDS

        return self.now() + CLOCK_SKEW_SECONDS


@pytest.fixture(autouse=True)
def chain_clock(monkeypatch) -> FixedChainClock:
    """No node here: the services read the chain's time from this clock (tests move it)."""
    from ledger.domain import chain_time

    clock = FixedChainClock()
    monkeypatch.setattr(chain_time, "chain_clock", lambda: clock)
    return clock
