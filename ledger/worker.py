"""The Celery worker: `celery -A ledger.worker worker -B -c 3`.

`create_app()` builds the Celery app when it is called, never on import: it reads the settings then,
builds beat's schedule from them, and names the packages whose `tasks.py` modules autodiscovery
imports when the worker starts (`shared_task`s, so they belong to whichever app is created). Celery's
`-A` wants an app instance, not a factory: it reads this module's `app` attribute, which the module
creates on that first access (PEP 562 `__getattr__`), so importing `ledger.worker` loads nothing, and a
bad setting or a database not at this code's schema revision stops `celery` at start with one line.

Tasks take ids (or nothing), re-read their state from SQL and the chain, and are idempotent; messages
are JSON only and acknowledged after the task ran (acks_late), so a worker that dies mid-task leaves
the message to another. The worker needs a concurrency of at least 3: the outbox drain, the indexer
and the webhooks run side by side.
"""

import logging
from functools import cache

from celery import Celery

from ledger.core.errors import SettingsError
from ledger.core.settings import Settings, get_settings

# ledger.indexer.tasks, ledger.writer.tasks, ledger.webhooks.tasks, ledger.domain.tasks (the overdue sweep)
log = logging.getLogger(__name__)

TASK_PACKAGES = ["ledger.indexer", "ledger.writer", "ledger.webhooks", "ledger.domain"]


def beat_schedule(settings: Settings) -> dict:
    """What beat starts, how often; a task not started before its expiry is dropped (a backlog is worthless)."""
    poll, sweep, webhooks = (
        settings.indexer.index_poll_seconds,
        settings.worker.overdue_sweep_seconds,
        settings.webhooks.poll_seconds,
    )
    return {
        "index-chain": {"task": "ledger.index_chain", "schedule": poll, "options": {"expires": 10 * poll}},
        "writer-drain": {"task": "ledger.writer.drain", "schedule": 1.0, "options": {"expires": 2.0}},
        "writer-mark-indexed": {"task": "ledger.writer.mark_indexed", "schedule": 0.5, "options": {"expires": 2.0}},
        "commitments-sweep-overdue": {
            "task": "ledger.commitments.sweep_overdue",
            "schedule": sweep,
            "options": {"expires": sweep},
        },
        "webhooks-deliver": {
            "task": "ledger.webhooks.deliver",
            "schedule": webhooks,
            "options": {"expires": 5 * webhooks},
        },
    }


def create_app() -> Celery:
    """The Celery app of this process's settings (a bad value raises SettingsError)."""
    settings = get_settings()
    app = Celery("ledger", broker=settings.worker.broker_url)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_prefetch_multiplier=1,
        task_acks_late=True,
        # Every task of this deployment goes to its own queue (tests give each run a unique one).
        task_default_queue=settings.worker.celery_queue,
        beat_schedule=beat_schedule(settings),
    )
    app.autodiscover_tasks(TASK_PACKAGES)
    return app


@cache
def _command_line_app() -> Celery:
    # Imported here, not at the top: importing ledger.worker must load nothing.
    from sqlalchemy.exc import OperationalError

    from ledger.db.schema import SchemaNotCurrent, engine_at_current_schema

    try:  # celery would print a traceback for each of these: one line instead
        app = create_app()
        # Refuse at start, not in every task beat starts (each task also checks, for a downgrade meanwhile).
        engine_at_current_schema(get_settings().database.url).dispose()
    except (SettingsError, SchemaNotCurrent) as exc:
        raise SystemExit(f"error: {exc}") from None
    except OperationalError as exc:
        # A database that is down now may be back in a moment: start, and let each task check it again.
        log.warning("the database is unreachable at start (%s); each task checks it again", exc.orig)
    return app


def __getattr__(name: str) -> Celery:
    # `celery -A ledger.worker` reads `ledger.worker.app`: the app is created then, not on import.
    if name == "app":
        return _command_line_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
