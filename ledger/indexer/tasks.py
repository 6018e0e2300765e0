"""The indexer's Celery task (found by ledger.worker's autodiscovery).

`ledger.index_chain` indexes the configured chain up to its safe head; the indexer's lease and its
compare-and-set checkpoint make a duplicate or concurrent run a no-op. Transient errors (node or
database away, rate limits) are retried with backoff; a worker shutting down stops the indexer
between batches.
"""

from functools import cache

from celery import shared_task
from celery.signals import worker_shutting_down
from celery.utils.time import get_exponential_backoff_interval

from ledger.core.errors import LedgerError, TransientError
from ledger.core.settings import get_settings


@cache
def _indexer():
    from ledger.indexer.service import build_indexer

    return build_indexer(get_settings())


@worker_shutting_down.connect
def _stop_indexing(**_) -> None:
    if _indexer.cache_info().currsize:
        _indexer().stop.set()


@shared_task(name="ledger.index_chain", bind=True, max_retries=None)
def index_chain(self, chain_id: int | None = None) -> dict:
    """Index the configured chain up to its safe head; a standby while another indexer is active."""
    try:
        return _index(chain_id)
    except TransientError as exc:
        # Exponential backoff with full jitter, up to LEDGER_INDEX_RETRY_MAX_SECONDS.
        countdown = get_exponential_backoff_interval(
            factor=1,
            retries=self.request.retries,
            full_jitter=True,
            maximum=int(get_settings().indexer.index_retry_max_seconds),
        )
        raise self.retry(exc=exc, countdown=countdown) from None


def _index(chain_id: int | None) -> dict:
    from ledger.core.errors import LeaseLost

    indexer = _indexer()
    if chain_id is not None and chain_id != indexer.chain_id:
        raise LedgerError(f"this worker indexes chain {indexer.chain_id}, not {chain_id}")
    written, polls = 0, 0
    while polls < 100 and not indexer.stop.is_set():  # bounded, so one task never holds the worker for long
        try:
            result = indexer.run_once()
        except LeaseLost:  # another indexer took over mid-run: its work, not ours
            result = None
        polls += 1
        if result is None:
            return {"chain_id": indexer.chain_id, "standby": True, "events": written}
        written += result
        if result == 0:
            break
    return {"chain_id": indexer.chain_id, "standby": False, "events": written}
