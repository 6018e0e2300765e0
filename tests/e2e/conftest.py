"""End-to-end fixtures: the whole system (node, PostgreSQL, API, Celery worker on Redis), once per
node kind for the whole package: both modules add their own projects and vouchers."""

import pytest

from devtools.bench.stack import Stack


@pytest.fixture(scope="package")
def stack(tmp_path_factory, node_kind):
    with Stack(tmp_path_factory.mktemp("stack"), api_processes=2, node_kind=node_kind) as running:
        yield running
