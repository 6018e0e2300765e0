"""End-to-end fixtures: the whole system (node, PostgreSQL, API, Celery worker on Redis)."""

import pytest

from ledger.bench.stack import Stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with Stack(tmp_path_factory.mktemp("stack"), api_processes=2) as running:
        yield running
