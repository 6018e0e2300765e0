"""A system client's POST is admitted on one pooled connection, in one transaction: the signature's
nonce is stored and the Idempotency-Key claimed with one COMMIT. That COMMIT need not wait for the WAL
flush: the route's own transaction follows on the same connection, and its COMMIT does (the flush covers
the first), so the nonce is durable before any answer either way. Other methods have no admission."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine
from starlette.concurrency import run_in_threadpool

from ledger.db.engine import commit_without_flush_wait
from web.kit.deps import get_engine_for, settings_for


class Admission:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.conn: Connection | None = None

    def transaction(self) -> Connection:
        """The request's connection inside the admission transaction, begun on first use (in the thread pool)."""
        if self.conn is None:
            self.conn = self.engine.connect()
            self.conn.begin()
            commit_without_flush_wait(self.conn)
        return self.conn


async def admission(request: Request) -> AsyncIterator[Admission | None]:
    """Dependency: the POST's admission (None for other methods). Its connection is closed (an open
    transaction rolled back) when the request was refused before api.idempotency settled it."""
    if request.method != "POST":
        yield None
        return
    admitted = Admission(get_engine_for(settings_for(request)))
    try:
        yield admitted
    finally:
        if admitted.conn is not None and not admitted.conn.closed:
            await run_in_threadpool(admitted.conn.close)


# Function scope: the connection goes back to the pool before the response is sent.
AdmissionDep = Annotated[Admission | None, Depends(admission, scope="function")]
