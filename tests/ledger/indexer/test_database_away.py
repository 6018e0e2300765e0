"""A read model whose database goes away in the middle of a batch: the transaction is lost,
the loop retries, and the read model ends as a fresh index."""

import threading
import time

from sqlalchemy import text

from ledger.db.engine import make_engine
from ledger.indexer import store
from tests.ledger.indexer.conftest import make_indexer, read_model, within, workload


def test_a_postgresql_backend_terminated_mid_batch_is_retried_and_nothing_is_lost(chain, new_database, monkeypatch):
    workload(chain, payment_batch=4).every_event(600)
    url = new_database("postgresql")
    indexer = make_indexer(chain, url, range_max=4, poll_seconds=0.02, retry_max_seconds=0.2)
    admin = make_engine(url)
    original, calls = store.write_batch, []

    def write_batch_losing_its_database(conn, *args, **kwargs):
        calls.append(1)
        if len(calls) in (3, 7):  # the server ends this transaction's backend under it
            pid = conn.connection.dbapi_connection.info.backend_pid
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        return original(conn, *args, **kwargs)

    monkeypatch.setattr(store, "write_batch", write_batch_losing_its_database)
    head = chain.w3.eth.block_number
    thread = threading.Thread(target=indexer.follow)
    thread.start()
    deadline = time.monotonic() + 120
    try:
        while (read_model(indexer.engine)["checkpoint"] or [(0, -1)])[0][1] < head:
            assert thread.is_alive(), "the loop exited"
            assert time.monotonic() < deadline, "no catch-up within 120 s"
            time.sleep(0.05)
    finally:
        indexer.stop.set()
        thread.join(30)
    assert not thread.is_alive()
    with indexer.engine.connect() as conn:
        errors = dict(conn.execute(text("SELECT kind, count FROM indexer_errors")).all())
    assert errors.get("ReadModelUnavailable", 0) >= 2

    monkeypatch.setattr(store, "write_batch", original)
    fresh = make_indexer(chain, new_database("postgresql"))
    within(120, fresh.catch_up)
    assert read_model(indexer.engine) == read_model(fresh.engine)
    admin.dispose()
