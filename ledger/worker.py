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

from celery import Celery, shared_task

from ledger.core.errors import SettingsError
from ledger.core.settings import Settings, get_settings

# ledger.indexer.tasks, ledger.writer.tasks, ledger.webhooks.tasks, ledger.domain.tasks (the overdue sweep, the
# notices), ledger.sharing.tasks (the credit platform's pushes); the reconciliation's task is below: it joins
# the domain and the audit, which only this room may.
log = logging.getLogger(__name__)

TASK_PACKAGES = ["ledger.indexer", "ledger.writer", "ledger.webhooks", "ledger.domain", "ledger.sharing"]


def beat_schedule(settings: Settings) -> dict:
    """What beat starts, how often; a task not started before its expiry is dropped (a backlog is worthless)."""
    poll, sweep, webhooks, notices = (
        settings.indexer.index_poll_seconds,
        settings.worker.overdue_sweep_seconds,
        settings.webhooks.poll_seconds,
        settings.worker.notice_scan_seconds,
    )
    schedule = {
        "index-chain": {"task": "ledger.index_chain", "schedule": poll, "options": {"expires": 10 * poll}},
        "writer-drain": {"task": "ledger.writer.drain", "schedule": 1.0, "options": {"expires": 2.0}},
        "writer-mark-indexed": {"task": "ledger.writer.mark_indexed", "schedule": 0.5, "options": {"expires": 2.0}},
        "commitments-sweep-overdue": {
            "task": "ledger.commitments.sweep_overdue",
            "schedule": sweep,
            "options": {"expires": sweep},
        },
        "notices-scan": {"task": "ledger.notices.scan", "schedule": notices, "options": {"expires": notices}},
        # Looks each time whether a run is asked for or the last is a day old; runs at most one.
        "reconcile-if-due": {"task": "ledger.reconcile_if_due", "schedule": notices, "options": {"expires": notices}},
        "webhooks-deliver": {
            "task": "ledger.webhooks.deliver",
            "schedule": webhooks,
            "options": {"expires": 5 * webhooks},
        },
    }
    if settings.credit_sharing.url is not None:  # sharing is off while the credit platform's URL is unset
        share = settings.credit_sharing.poll_seconds
        schedule["credit-sharing-push"] = {
            "task": "ledger.sharing.push",
            "schedule": share,
            "options": {"expires": 5 * share},
        }
    return schedule


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


@shared_task(name="ledger.reconcile_if_due")
def reconcile_if_due() -> int | None:
    """Run the reconciliation asked for (the regulator's button), or the daily one when the last is
    LEDGER_RECONCILIATION_HOURS old; returns the run's id, None when none was due."""
    from sqlmodel import Session

    from ledger.audit.verify import live_audit
    from ledger.db.schema import engine_at_current_schema
    from ledger.domain import reconciliation
    from ledger.domain.chain_time import chain_clock

    settings = get_settings()
    engine = engine_at_current_schema(settings.database.url)
    try:
        with Session(engine) as session:
            run = reconciliation.due_run(session, every_seconds=settings.worker.reconciliation_hours * 3600)
            if run is None:
                return None
            session.commit()  # taken: a concurrent beat tick finds it done or running
            try:
                return reconciliation.reconcile(
                    session,
                    now=chain_clock().now(),
                    sweep_slack_seconds=2 * settings.worker.overdue_sweep_seconds,
                    audit=live_audit(settings.rpc.url, settings.deployment.manifest_path, engine),
                    run=run,
                )
            except Exception as exc:
                session.rollback()
                reconciliation.fail_run(session, run=run, error=f"{type(exc).__name__}: {exc}")
                raise
            finally:
                session.commit()
    finally:
        engine.dispose()


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
