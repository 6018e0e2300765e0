"""The commitments' Celery tasks (found by ledger.worker's autodiscovery): `ledger.notices.scan` makes the
reminders and outcome notices due (ledger.domain.notices); `ledger.commitments.sweep_overdue`
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


@shared_task(name="ledger.notices.scan")
def scan_notices() -> int:
    """Make the reminders and outcome notices due by the chain's clock (each once); returns how many were made."""
    from sqlmodel import Session

    from ledger.domain.chain_time import chain_clock
    from ledger.domain.notices import scan_notices as scan

    with Session(_engine()) as session:
        made = scan(session, now=chain_clock().now(), reminder_days=get_settings().worker.reminder_days)
        session.commit()
    return made
