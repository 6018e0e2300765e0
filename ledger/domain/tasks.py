"""The commitments' Celery task (found by ledger.worker's autodiscovery): `ledger.commitments.sweep_overdue`
queues markOverdue for open commitments past their grace period; a duplicate finds them already queued."""

from functools import cache

from celery import shared_task

from ledger.core.settings import get_settings


@cache
def _engine():
    """The worker's engine; a task refuses a database not at this code's schema revision."""
    from ledger.db.schema import engine_at_current_schema

    return engine_at_current_schema(get_settings().database.url)


@shared_task(name="ledger.commitments.sweep_overdue")
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
