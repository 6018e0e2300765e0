"""Public answers read from the read model, kept for LEDGER_API_PUBLIC_CACHE_SECONDS.

The read model changes only when the indexer commits a block range, and a public page is
asked for far more often than that; so a hot project costs one read per interval, not one per
request (DESIGN.md §9: the public inquiry API holds ≥ 1,500 requests/s in one process).
Refusals (unknown project, bad cursor) are not kept.
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.deps import api_settings_for, get_engine_for, settings_for

T = TypeVar("T")


class ReadCache:
    def __init__(self, engine: Engine, *, seconds: float, entries: int, clock=time.monotonic):
        self.engine, self.seconds, self.entries, self.clock = engine, seconds, entries, clock
        self._kept: OrderedDict[tuple, tuple[float, object]] = OrderedDict()

    async def get(self, key: tuple, read: Callable[..., T], **arguments) -> T:
        """read(session, **arguments) in the thread pool, or its answer from less than `seconds` ago."""
        kept = self._kept.get(key)
        if kept is not None and kept[0] > self.clock():
            return kept[1]
        value = await run_in_threadpool(self.read, read, **arguments)
        if self.seconds:
            self._kept[key] = (self.clock() + self.seconds, value)
            self._kept.move_to_end(key)
            if len(self._kept) > self.entries:
                self._kept.popitem(last=False)
        return value

    def read(self, read: Callable[..., T], **arguments) -> T:
        with Session(self.engine) as session:
            return read(session, **arguments)


def read_cache_of(request: Request) -> ReadCache:
    cache = getattr(request.app.state, "public_read_cache", None)
    if cache is None:
        settings = api_settings_for(request)
        cache = request.app.state.public_read_cache = ReadCache(
            get_engine_for(settings_for(request)), seconds=settings.public_cache_seconds, entries=settings.public_cache_entries)
    return cache


async def get_read_cache(request: Request) -> ReadCache:
    return read_cache_of(request)


ReadCacheDep = Annotated[ReadCache, Depends(get_read_cache)]
