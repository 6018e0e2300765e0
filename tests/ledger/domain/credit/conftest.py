"""A node of the module's own (its clock is the wall clock), with the import window open so the
credit record holds imported counters too."""

import pytest

from tests.ledger.indexer.conftest import import_chain  # noqa: F401


@pytest.fixture(scope="module")
def module_chain(import_chain):  # noqa: F811
    return import_chain
