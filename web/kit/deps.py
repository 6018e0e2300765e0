"""Dependencies shared by the routes, as `Annotated` aliases."""

from collections.abc import AsyncIterator
from functools import cache
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ledger.core.settings import Settings, get_settings
from ledger.db.engine import make_engine


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
