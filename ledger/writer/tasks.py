"""Celery tasks of the write path (registered on ledger.tasks.app; JSON only, acks_late).

`ledger.writer.drain` runs writer rounds until the outbox has been idle for a while; beat
starts it every second and a duplicate is a standby (the writer lease), so exactly one process
signs and sends. `ledger.writer.mark_indexed` promotes mined commands once the indexer has their
block. `ledger.webhooks.deliver` sends due webhook notices. The worker needs a concurrency of at
least 3 (`-c 3`): the drain, the indexer and the webhooks run side by side.
"""

import logging
from functools import cache

from ledger.core.errors import ChainUnavailable
from ledger.tasks import app, settings

log = logging.getLogger(__name__)

# Every task of this deployment goes to its own queue (tests give each run a unique one).
app.conf.task_default_queue = settings.celery_queue
app.conf.beat_schedule.update({
    "writer-drain": {"task": "ledger.writer.drain", "schedule": 1.0, "options": {"expires": 2.0}},
    "writer-mark-indexed": {"task": "ledger.writer.mark_indexed", "schedule": 0.5, "options": {"expires": 2.0}},
    "commitments-sweep-overdue": {"task": "ledger.commitments.sweep_overdue",
                                  "schedule": settings.overdue_sweep_seconds,
                                  "options": {"expires": settings.overdue_sweep_seconds}},
    "webhooks-deliver": {"task": "ledger.webhooks.deliver", "schedule": settings.webhook_poll_seconds,
                         "options": {"expires": 5 * settings.webhook_poll_seconds}},
})


@cache
def _writer():
    from ledger.writer.service import build_writer

    return build_writer(settings)


@cache
def _engine():
    from ledger.db.engine import make_engine
    from ledger.db.schema import require_current_schema

    engine = make_engine(settings.database_url)
    require_current_schema(engine)
    return engine


@app.task(name="ledger.writer.drain", autoretry_for=(ChainUnavailable,), retry_backoff=True, retry_backoff_max=30,
          retry_jitter=True, max_retries=None)
def drain() -> dict:
    """Drain the outbox to the chain until idle (a standby while another writer holds the lease)."""
    from ledger.writer.service import drain as run

    return run(_writer(), settings)


@app.task(name="ledger.writer.mark_indexed")
def mark_indexed() -> int:
    """Mined commands whose block the indexer has mirrored become `indexed` (the drain does it too)."""
    return _writer().mark_indexed()


@app.task(name="ledger.webhooks.deliver")
def deliver_webhooks() -> dict:
    """Create the notices of newly indexed commands and send the due deliveries."""
    from ledger.webhooks.delivery import deliver_due

    return deliver_due(_engine(), settings)


@app.task(name="ledger.commitments.sweep_overdue")
def sweep_overdue() -> int:
    """Queue markOverdue for open commitments past their grace period (the read model's view), by the
    chain's clock: the registry judges by block time."""
    from sqlmodel import Session

    from ledger.domain.chain_time import chain_clock
    from ledger.domain.commitments import sweep_overdue as sweep

    with Session(_engine()) as session:
        queued = sweep(session, now=chain_clock().now())
        session.commit()
    return len(queued)
