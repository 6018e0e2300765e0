"""Build the outbox writer from Settings, and drain: rounds until idle, backing off while the chain is down."""

import logging
import os
import time

from ledger.chain.keystore import load_signers
from ledger.chain.manifest import load_manifest
from ledger.chain.rpc import JsonRpc
from ledger.core.errors import ChainUnavailable
from ledger.core.settings import Settings
from ledger.db.engine import make_engine
from ledger.db.schema import require_current_schema
from ledger.outbox.kinds import KINDS
from ledger.writer.writer import ChainHolds, OutboxWriter, WriterConfig

log = logging.getLogger(__name__)


def build_writer(settings: Settings) -> OutboxWriter:
    engine = make_engine(settings.database.url)
    require_current_schema(engine)  # the upgrade is `ledger db upgrade`'s, never a side effect of starting
    roles = sorted({kind.role for kind in KINDS.values()})
    return OutboxWriter(
        engine=engine,
        rpc=JsonRpc(settings.rpc.url, timeout=settings.writer.rpc_timeout_seconds),
        manifest=load_manifest(settings.deployment.manifest_path),
        signers=load_signers(settings, roles),
        owner=f"{settings.writer.id}/{os.getpid()}",  # forked workers inherit settings: the pid tells them apart
        config=WriterConfig(
            batch_size=settings.writer.batch_size,
            max_in_flight=settings.writer.max_in_flight,
            lease_seconds=settings.writer.lease_seconds,
        ),
    )


def drain(
    writer: OutboxWriter, settings: Settings, *, seconds: float | None = None, idle_seconds: float | None = None
) -> dict:
    """Run rounds until there has been no work for `idle_seconds` or `seconds` have passed.

    While the chain is down (or paused) the commands stay queued and the writer retries with
    exponential back-off up to LEDGER_WRITER_RETRY_MAX_SECONDS; nothing is lost."""
    seconds = settings.writer.task_seconds if seconds is None else seconds
    idle_seconds = settings.writer.idle_seconds if idle_seconds is None else idle_seconds
    started = last_work = time.monotonic()
    backoff, rounds, changed, outages = 0.0, 0, 0, 0
    while time.monotonic() - started < seconds:
        try:
            result = writer.run_once()
            backoff = 0.0
        except (ChainUnavailable, ChainHolds) as exc:
            outages += 1
            backoff = min(max(2 * backoff, 0.25), settings.writer.retry_max_seconds)
            log.warning("outbox writer: %s; retrying in %.2f s", exc, backoff)
            time.sleep(backoff)
            continue
        rounds += 1
        if result is None:  # another writer is active: we are a standby
            return {"standby": True, "rounds": rounds, "changed": changed}
        changed += result
        if result:
            last_work = time.monotonic()
        elif rounds == 1 or time.monotonic() - last_work >= idle_seconds:
            break  # nothing to do at all, or idle for a while: beat starts the next drain
        else:
            time.sleep(settings.writer.poll_seconds)
    return {"standby": False, "rounds": rounds, "changed": changed, "outages": outages}
