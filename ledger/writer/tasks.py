"""The write path's Celery tasks (found by ledger.worker's autodiscovery).

`ledger.writer.drain` runs writer rounds until the outbox has been idle for a while; beat starts it
every second and a duplicate is a standby (the writer lease), so exactly one process signs and sends.
`ledger.writer.mark_indexed` promotes mined commands once the indexer has their block.
"""

from functools import cache

from celery import shared_task

from ledger.core.errors import ChainUnavailable
from ledger.core.settings import get_settings


@cache
def _writer():
    from ledger.writer.service import build_writer

    return build_writer(get_settings())


@cache
def _engine():
    """The worker's engine; a task refuses a database not at this code's schema revision."""
    from ledger.db.schema import engine_at_current_schema

    return engine_at_current_schema(get_settings().database.url)


@shared_task(
    name="ledger.writer.drain",
    autoretry_for=(ChainUnavailable,),
    retry_backoff=True,
    retry_backoff_max=30,
    retry_jitter=True,
    max_retries=None,
)
def drain() -> dict:
    """Drain the outbox to the chain until idle (a standby while another writer holds the lease)."""
    from ledger.writer.service import drain as run

    return run(_writer(), get_settings())


@shared_task(name="ledger.writer.mark_indexed")
def mark_indexed() -> int:
    """Mined commands whose block the indexer has mirrored become `indexed` (the drain does it too)."""
    return _writer().mark_indexed()
