import pytest

from tests.support.databases import database_url, engine, make_database, session  # noqa: F401
from tests.support.rates import mirror_sample_rate_table


@pytest.fixture(autouse=True)
def published_rates(engine):
    """The sample rate table as deploy publishes it and the indexer mirrors it."""
    mirror_sample_rate_table(engine)
