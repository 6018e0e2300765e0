from tests.ledger.indexer.conftest import import_chain, importing_chain  # noqa: F401  (a deployment whose import is open)
