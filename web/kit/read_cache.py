"""Public answers read from the read model, kept until the chain changes what they show.

The read model changes only when the indexer commits; a public page is asked for far more often
than that (DESIGN.md §9: ≥ 1,500 requests/s in one process). So each answer is kept with the
project it is about, and at most every LEDGER_API_PUBLIC_CACHE_CHECK_SECONDS one query asks the
read model what changed since the checkpoint last seen: the raw events' subjects in the new
blocks (a project's key, or a commitment's, mapped to its project). Only those projects' answers
are dropped. A checkpoint that went back or whose block hash changed (a reorg), another chain, or
a very large change drops everything. LEDGER_API_PUBLIC_CACHE_SECONDS bounds every answer's age
(registrations, which are not on chain, show within it); 0 turns the cache off.
Refusals (unknown project, bad cursor) are never kept.

With a read replica (LEDGER_DATABASE_READ_URL) every read, the checks included, goes to the replica:
the checkpoint is what the replica has replayed, not what the primary has indexed, and an answer is
read with that checkpoint in one snapshot and kept only if it is the checkpoint the cache knows.
"""

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, TypeVar, cast

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from web.kit.deps import get_read_engine_for, settings_for

T = TypeVar("T")
MAX_CHANGED_SUBJECTS = 5_000  # beyond this (a catch-up), dropping everything is cheaper than sorting it out


@dataclass(frozen=True)
class Checkpoint:
    chain_id: int
    block_number: int
    block_hash: str


class ReadCache:
    def __init__(self, engine: Engine, *, seconds: float, check_seconds: float, entries: int, clock=time.monotonic):
        self.engine, self.seconds, self.check_seconds, self.entries = engine, seconds, check_seconds, entries
        self.clock = clock
        self._kept: OrderedDict[tuple, tuple[float, str | None, object]] = (
            OrderedDict()
        )  # key -> (expires, scope, value)
        self._checkpoint: Checkpoint | None = None
        self._next_check = 0.0
        self._generation = 0  # counts drops, so a read that overlapped one is not kept

    async def get(
        self, key: tuple, read: Callable[..., T], *, scope: str | Callable[[T], str | None] | None, **arguments
    ) -> T:
        """read(session, **arguments) in the thread pool, or its kept answer if nothing it shows has
        changed. `scope` is the project key (0x keccak256 of its code) the answer is about, or a
        function of the answer that gives it."""
        if not self.seconds:
            return await run_in_threadpool(partial(self.read, read, **arguments))
        now = self.clock()
        if now >= self._next_check:
            self._next_check = now + self.check_seconds  # one request checks; the others go on
            self._forget(await run_in_threadpool(self.changed_projects))
        kept = self._kept.get(key)
        if kept is not None and kept[0] > now:
            return cast(T, kept[2])  # kept under this key from the same read, so of its type
        generation = self._generation
        read_at, value = await run_in_threadpool(partial(self.read_with_checkpoint, read, **arguments))
        # Kept only if read at the checkpoint the cache knows and nothing was dropped meanwhile: an
        # answer from an older snapshot (a replica behind the one checked, a read that overlapped a
        # check) would outlive the change that dropped its project.
        if read_at == self._checkpoint and generation == self._generation:
            self._kept[key] = (now + self.seconds, scope(value) if callable(scope) else scope, value)
            self._kept.move_to_end(key)
            if len(self._kept) > self.entries:
                self._kept.popitem(last=False)
        return value

    def _forget(self, projects: set[str] | None) -> None:
        """Drop the answers about these projects (None: every answer). Runs on the event loop only."""
        if projects is None:
            self._kept.clear()
        elif projects:
            for key in [key for key, (_, scope, _) in self._kept.items() if scope in projects]:
                del self._kept[key]
        else:
            return
        self._generation += 1

    def read(self, read: Callable[..., T], **arguments) -> T:
        with Session(self.engine) as session:
            return read(session, **arguments)

    def read_with_checkpoint(self, read: Callable[..., T], **arguments) -> tuple[Checkpoint | None, T]:
        """read(session) and the checkpoint, in one transaction: one snapshot on PostgreSQL (the
        engine is web.kit.deps' read engine), so the checkpoint is the one the answer shows."""
        with Session(self.engine) as session:
            checkpoint = latest_checkpoint(session.connection())
            return checkpoint, read(session, **arguments)

    def changed_projects(self) -> set[str] | None:
        """The projects (keys) the indexer changed since the checkpoint last seen; None: anything may
        have changed. Runs in the thread pool and touches no kept answer."""
        with self.engine.connect() as conn:
            now = latest_checkpoint(conn)
            seen, self._checkpoint = self._checkpoint, now
            if now == seen:
                return set()
            if seen is None or now is None or now.chain_id != seen.chain_id or now.block_number < seen.block_number:
                return None
            still = conn.execute(
                text("SELECT block_hash FROM indexed_blocks WHERE chain_id = :c AND block_number = :b"),
                {"c": seen.chain_id, "b": seen.block_number},
            ).scalar()
            if still != seen.block_hash:  # rewound past it (a reorg), or too long ago to tell
                return None
            subjects = set(
                conn.execute(
                    text(
                        "SELECT DISTINCT subject FROM raw_events WHERE chain_id = :c AND block_number > :low "
                        "AND block_number <= :high AND subject IS NOT NULL LIMIT :limit"
                    ),
                    {
                        "c": now.chain_id,
                        "low": seen.block_number,
                        "high": now.block_number,
                        "limit": MAX_CHANGED_SUBJECTS + 1,
                    },
                ).scalars()
            )
            if len(subjects) > MAX_CHANGED_SUBJECTS:
                return None
            if subjects:  # commitment events name the commitment: add its project
                subjects |= set(
                    conn.execute(
                        text("SELECT project FROM commitments WHERE chain_id = :c AND commitment IN :keys").bindparams(
                            bindparam("keys", expanding=True)
                        ),
                        {"c": now.chain_id, "keys": list(subjects)},
                    ).scalars()
                )
        return subjects


def latest_checkpoint(conn: Connection) -> Checkpoint | None:
    """The checkpoint of the read model this connection reads (a replica's: what it has replayed)."""
    row = conn.execute(
        text("SELECT chain_id, block_number, block_hash FROM chain_state ORDER BY updated_at DESC LIMIT 1")
    ).first()
    return Checkpoint(*row) if row else None


def read_cache_of(request: Request) -> ReadCache:
    cache = getattr(request.app.state, "public_read_cache", None)
    if cache is None:
        settings = settings_for(request).api
        cache = request.app.state.public_read_cache = ReadCache(
            get_read_engine_for(settings_for(request)),
            seconds=settings.public_cache_seconds,
            check_seconds=settings.public_cache_check_seconds,
            entries=settings.public_cache_entries,
        )
    return cache


async def get_read_cache(request: Request) -> ReadCache:
    return read_cache_of(request)


ReadCacheDep = Annotated[ReadCache, Depends(get_read_cache)]
