import pytest

from tests.support.databases import engine, make_database, session  # noqa: F401
from tests.support.published_key import published_key  # noqa: F401
from tests.support.rates import mirror_sample_rate_table


@pytest.fixture(params=["sqlite"])
def database_url(request, make_database) -> str:
    """SQLite here (a scratch PostgreSQL database costs seconds to migrate); the tests of what the
    database's concurrency decides (the claim, the queue's SQL) ask for both with
    `@pytest.mark.parametrize("database_url", BOTH, indirect=True)`."""
    return make_database(request.param)


@pytest.fixture(autouse=True)
def published_rates(engine):
    """The sample rate table as deploy publishes it and the indexer mirrors it."""
    mirror_sample_rate_table(engine)
