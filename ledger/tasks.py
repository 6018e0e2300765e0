"""Celery tasks: `celery -A ledger.tasks worker -B`.

Tasks take ids, re-read their state from SQL and the chain, and are idempotent: the indexer's
lease and its compare-and-set checkpoint make a duplicate or concurrent run a no-op.
Transient errors (node or database away, rate limits) are retried with backoff; a worker
shutting down stops the indexer between batches.
"""

import logging
from functools import cache

from celery import Celery
from celery.signals import worker_shutting_down

from ledger.core.errors import LeaseLost, LedgerError, SettingsError, TransientError
from ledger.indexer.loop import Indexer
from ledger.core.settings import load_settings

log = logging.getLogger(__name__)
try:
    settings = load_settings()
except SettingsError as exc:
    raise SystemExit(f"error: {exc}") from None

app = Celery("ledger", broker=settings.broker_url)
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    worker_prefetch_multiplier=1,
    task_acks_late=True,
    beat_schedule={
        "index-chain": {
            "task": "ledger.index_chain",
            "schedule": settings.index_poll_seconds,
            "options": {"expires": 10 * settings.index_poll_seconds},  # a backlog of polls is worthless
        }
    },
)


@cache
def _indexer() -> Indexer:
    from ledger.indexer.service import build_indexer

    return build_indexer(settings)


@worker_shutting_down.connect
def _stop_indexing(**_) -> None:
    if _indexer.cache_info().currsize:
        _indexer().stop.set()


@app.task(name="ledger.index_chain", autoretry_for=(TransientError,), retry_backoff=True,
          retry_backoff_max=int(settings.index_retry_max_seconds), retry_jitter=True, max_retries=None)
def index_chain(chain_id: int | None = None) -> dict:
    """Index the configured chain up to its safe head; a standby while another indexer is active."""
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


import ledger.writer.tasks  # noqa: E402,F401  (the write path: outbox drain, indexed marking, webhooks)
