"""The webhooks' Celery task (found by ledger.worker's autodiscovery): `ledger.webhooks.deliver` creates
the notices of newly indexed commands and sends the due deliveries, at least once."""

from functools import cache

from celery import shared_task

from ledger.core.settings import get_settings


@cache
def _engine():
    """The worker's engine; a task refuses a database not at this code's schema revision."""
    from ledger.db.schema import engine_at_current_schema

    return engine_at_current_schema(get_settings().database.url)


@shared_task(name="ledger.webhooks.deliver")
def deliver_webhooks() -> dict:
    """Create the notices of newly indexed commands and send the due deliveries."""
    from ledger.webhooks.delivery import deliver_due

    return deliver_due(_engine(), get_settings())
