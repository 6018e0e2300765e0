"""End-to-end fixtures: the whole system (node, PostgreSQL, API, Celery worker on Redis), once per
node kind for the whole package: both modules add their own projects and vouchers."""

import getpass

import pytest

from devtools.bench.stack import Stack

# The test server trusts local connections and ignores the password; it is there so that the
# services hold a database password like any deployment, and test_no_personal_data checks it is never shown.
DATABASE_SERVER = f"postgresql://{getpass.getuser()}:e2e-database-password-7Hq2@127.0.0.1/test"


@pytest.fixture(scope="package")
def stack(tmp_path_factory, node_kind):
    with Stack(
        tmp_path_factory.mktemp("stack"),
        postgres_server=DATABASE_SERVER,
        api_processes=2,
        api_log_level="info",  # the access log too, which test_no_personal_data reads
        node_kind=node_kind,
    ) as running:
        yield running
