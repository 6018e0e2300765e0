"""Credit sharing's Celery task (found by ledger.worker's autodiscovery): `ledger.sharing.push` queues the
credit events indexed since its last run and sends the due pushes to the credit platform, at least once,
in order per enterprise. It takes nothing and is idempotent: two at once share the work (each push is
claimed before it is sent), and one that dies mid-send leaves its push to the next when its claim runs out."""

from functools import cache

from celery import shared_task

from ledger.core.settings import get_settings


@cache
def _engine():
    """The worker's engine; a task refuses a database not at this code's schema revision."""
    from ledger.db.schema import engine_at_current_schema

    return engine_at_current_schema(get_settings().database.url)


@shared_task(name="ledger.sharing.push")
def push_credit_events() -> dict:
    """Queue the new credit events and send the due pushes (nothing while LEDGER_CREDIT_SHARING_URL is unset)."""
    from ledger.sharing.push import deliver_due

    settings = get_settings()
    if settings.credit_sharing.url is None:
        return {"queued": 0, "delivered": 0, "failed": 0}
    return deliver_due(_engine(), settings)
