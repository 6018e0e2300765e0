"""Dependencies shared by the routes, as `Annotated` aliases."""

from collections.abc import AsyncIterator
from functools import cache
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ledger.core.settings import Settings, get_settings
from ledger.db.engine import make_engine, snapshot_reads


def settings_for(request: Request) -> Settings:
    """get_settings as the app resolves it (tests override it), for async code that keeps off the thread pool."""
    return request.app.dependency_overrides.get(get_settings, get_settings)()


SettingsDep = Annotated[Settings, Depends(get_settings)]


@cache
def _engine(url: str) -> Engine:
    return make_engine(url)


def get_engine_for(settings: Settings | None = None) -> Engine:
    return _engine((settings or get_settings()).database.url)


def get_engine(settings: SettingsDep) -> Engine:
    return get_engine_for(settings)


EngineDep = Annotated[Engine, Depends(get_engine)]


@cache
def _read_engine(url: str) -> Engine:
    return snapshot_reads(_engine(url))


def get_read_engine_for(settings: Settings | None = None) -> Engine:
    """The public and regulator reads' engine: the read replica's (LEDGER_DATABASE_READ_URL), else
    the primary's; each of its transactions reads one snapshot (ledger.db.engine.snapshot_reads)."""
    database = (settings or get_settings()).database
    return _read_engine(database.read_url or database.url)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the route returns, rolled back when it raises,
    and finished before the response is sent (so a 202 always means committed). Under an
    Idempotency-Key the transaction is api.idempotency's, which commits it with the stored response.
    Async so that handing over that session costs no thread hop; database work runs in the threadpool."""
    shared = getattr(request.state, "db_session", None)
    if shared is not None:
        yield shared
        return
    session = Session(get_engine_for(settings_for(request)))
    session.begin()  # no I/O until the route's first statement
    try:
        yield session
    except BaseException:
        await run_in_threadpool(_finish, session, commit=False)
        raise
    await run_in_threadpool(_finish, session, commit=True)


def _finish(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_read_session(request: Request) -> AsyncIterator[Session]:
    """A read-only session on the read engine, one snapshot for the whole request (nothing to commit)."""
    session = Session(get_read_engine_for(settings_for(request)))
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
