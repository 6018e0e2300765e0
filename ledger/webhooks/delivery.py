"""Outbound webhooks to the tax and approval systems: signed, at least once, in order per project.

* Notices are created from the chain's truth: when a command is `indexed` (payment recorded,
  commitment breached or overdue) and when a project's clearance answer changes.
* Each request is signed with the platform's key (Ed25519, or SM2 under the gm profile) exactly like inbound requests
  (DESIGN.md §6, ledger.access.signing): X-Client-Id (LEDGER_PLATFORM_CLIENT_ID), X-Timestamp,
  X-Nonce, X-Signature; plus X-Webhook-Event and X-Webhook-Delivery (the delivery id: receivers
  deduplicate on it, since a notice may arrive more than once).
* Reminders before a commitment's due date (ledger.domain.notices) go out as `commitment.due_soon`.
* Payloads follow ledger.webhooks.schemas (version 1: CommandNotice, ClearanceChangedNotice, DueSoonNotice),
  also sent as X-Webhook-Version.
* An endpoint hears the event kinds it chose, for all projects or only those its subscriber
  registered (`projects: own`). A client registers and removes its own endpoints through the API
  (/v1/webhooks); the office through `ledger webhooks`.
* A 2xx answer delivers a notice; anything else is retried with exponential back-off and jitter
  between LEDGER_WEBHOOK_RETRY_BASE_SECONDS and LEDGER_WEBHOOK_RETRY_MAX_SECONDS. A notice waits
  while an earlier one for the same endpoint and project is undelivered.
* An endpoint none of whose attempts succeeded for LEDGER_WEBHOOK_DISABLE_AFTER_SECONDS is
  disabled: an ERROR log line says so, its status (GET /v1/webhooks, GET /v1/office/webhooks,
  `ledger webhooks list`) shows `disabled` with the reason, `GET /metrics` counts it
  (`ledger_webhook_endpoints_disabled`, by subscriber: alert on it), and its notices wait, kept,
  until it is enabled again (`enable`). A removed endpoint's pending notices are cancelled.
* Every attempt is kept (`webhook_attempts`); `redeliver` sends a notice again on demand.
"""

import logging
import random
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

import orjson
import requests
from pydantic import BaseModel
from sqlalchemy import Engine, func, insert, select, text, update
from sqlalchemy.orm import Session
from sqlmodel import col  # a model's attribute as the column it is (for the type checker)

from ledger.access.signing import private_key_from_seed, sign_request
from ledger.core.crypto_profile import current_profile
from ledger.core.settings import Settings
from ledger.db.supervision_model import EnterpriseNotice
from ledger.db.webhook_model import ClearanceNotice, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from ledger.db.write_model import OutboxCommand, Project
from ledger.domain.clearance import clearance
from ledger.domain.common import from_unix
from ledger.domain.errors import NotFound
from ledger.outbox.commands import INDEXED
from ledger.webhooks.schemas import (
    NOTICE_VERSION,
    ClearanceChangedNotice,
    CommandNotice,
    DueSoonNotice,
    WebhookDeliveryPublic,
    WebhookEndpointCreate,
    WebhookEndpointPublic,
)

log = logging.getLogger(__name__)

# command kind -> the event its indexing announces
COMMAND_EVENTS = {
    "record_payment": "payment.recorded",
    "breach_commitment": "commitment.breached",
    "mark_overdue": "commitment.overdue",
    "repair_commitment": "commitment.repaired",
    "record_inspection": "commitment.inspected",  # a random inspection's outcome (ledger.domain.draw_office)
}
# event -> the schema of its body (any other: CommandNotice)
NOTICE_SCHEMAS: dict[str, type[BaseModel]] = {
    "clearance.changed": ClearanceChangedNotice,
    "commitment.due_soon": DueSoonNotice,
}
CLAIM_SECONDS = 60.0  # a claimed delivery is not picked by another worker for this long


def add_endpoint(session: Session, *, endpoint: WebhookEndpointCreate) -> int:
    row = WebhookEndpoint(
        subscriber=endpoint.subscriber,
        url=endpoint.url,
        events=",".join(dict.fromkeys(endpoint.events)),
        projects=endpoint.projects,
        active=True,
        created_at=time.time(),
    )
    session.add(row)
    session.flush()
    assert row.id is not None  # assigned by the flush
    return row.id


def endpoints(
    session: Session, *, subscriber: str | None = None, endpoint_id: int | None = None
) -> list[WebhookEndpointPublic]:
    """Endpoints not removed (a subscriber's own, or all for the office), with their state."""
    query = select(WebhookEndpoint).where(col(WebhookEndpoint.removed_at).is_(None))
    if subscriber is not None:
        query = query.where(col(WebhookEndpoint.subscriber) == subscriber)
    if endpoint_id is not None:
        query = query.where(col(WebhookEndpoint.id) == endpoint_id)
    rows = session.execute(query.order_by(col(WebhookEndpoint.id))).scalars().all()
    pending: dict[int | None, int] = (
        dict(
            session.execute(  # endpoint id → pending notices
                select(col(WebhookDelivery.endpoint_id), func.count())
                .where(
                    col(WebhookDelivery.status) == "pending", col(WebhookDelivery.endpoint_id).in_([r.id for r in rows])
                )
                .group_by(col(WebhookDelivery.endpoint_id))
            )
            .tuples()
            .all()
        )
        if rows
        else {}
    )
    return [
        WebhookEndpointPublic(
            endpoint_id=r.id,
            subscriber=r.subscriber,
            url=r.url,
            events=r.events.split(","),
            projects=r.projects,
            status="active" if r.active else "disabled",
            failing_since=from_unix(r.failing_since),
            disabled_at=from_unix(r.disabled_at),
            disabled_reason=r.disabled_reason,
            pending=pending.get(r.id, 0),
            created_at=from_unix(r.created_at),
        )
        for r in rows
    ]


def _own_endpoint(session: Session, endpoint_id: int, subscriber: str | None) -> WebhookEndpoint:
    row = session.get(WebhookEndpoint, endpoint_id)
    if row is None or row.removed_at is not None or (subscriber is not None and row.subscriber != subscriber):
        raise NotFound(f"no webhook endpoint {endpoint_id}", field="endpoint_id", rule="own_endpoint")
    return row


def get_endpoint(session: Session, *, endpoint_id: int, subscriber: str | None = None) -> WebhookEndpointPublic:
    _own_endpoint(session, endpoint_id, subscriber)
    return endpoints(session, endpoint_id=endpoint_id)[0]


def remove_endpoint(session: Session, *, endpoint_id: int, subscriber: str | None = None) -> None:
    """Stop an endpoint for good: nothing more is sent to it, its pending notices are cancelled."""
    row = _own_endpoint(session, endpoint_id, subscriber)
    row.active, row.removed_at = False, time.time()
    session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.endpoint_id) == endpoint_id, col(WebhookDelivery.status) == "pending")
        .values(status="cancelled")
    )
    session.flush()


def enable_endpoint(session: Session, *, endpoint_id: int, subscriber: str | None = None) -> WebhookEndpointPublic:
    """Send to a disabled endpoint again (its waiting notices first, in order); the failure clock restarts."""
    row = _own_endpoint(session, endpoint_id, subscriber)
    row.active, row.failing_since, row.disabled_at, row.disabled_reason = True, None, None, None
    session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.endpoint_id) == endpoint_id, col(WebhookDelivery.status) == "pending")
        .values(next_attempt_at=time.time())
    )
    session.flush()
    return endpoints(session, endpoint_id=endpoint_id)[0]


def disabled_endpoints(session: Session) -> dict[str, int]:
    """Disabled (not removed) endpoints by subscriber: what the office is alerted on."""
    return dict(
        session.execute(
            select(col(WebhookEndpoint.subscriber), func.count())
            .where(col(WebhookEndpoint.removed_at).is_(None), col(WebhookEndpoint.active).is_(False))
            .group_by(col(WebhookEndpoint.subscriber))
        )
        .tuples()
        .all()
    )


def deliveries(
    session: Session, *, subscriber: str | None = None, delivery_id: str | None = None, limit: int = 100
) -> list[WebhookDeliveryPublic]:
    """The delivery history, newest first."""
    query = select(WebhookDelivery, col(WebhookEndpoint.subscriber)).join(
        WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id)
    )
    if subscriber is not None:
        query = query.where(col(WebhookEndpoint.subscriber) == subscriber)
    if delivery_id is not None:
        query = query.where(col(WebhookDelivery.id) == delivery_id)
    rows = session.execute(query.order_by(col(WebhookDelivery.seq).desc()).limit(limit)).all()
    return [
        WebhookDeliveryPublic(
            delivery_id=d.id,
            subscriber=sub,
            event=d.event,
            project_code=d.project_code,
            status=d.status,
            attempts=d.attempts,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            created_at=from_unix(d.created_at),
            delivered_at=from_unix(d.delivered_at),
        )
        for d, sub in rows
    ]


def redeliver(session: Session, *, delivery_id: str) -> WebhookDeliveryPublic:
    """Send a notice again now (also one already delivered); its history keeps every attempt."""
    delivery = session.execute(select(WebhookDelivery).where(col(WebhookDelivery.id) == delivery_id)).scalars().first()
    if delivery is None:
        raise NotFound(f"no webhook delivery {delivery_id}", field="delivery_id", rule="known_delivery")
    delivery.status, delivery.next_attempt_at, delivery.delivered_at = "pending", time.time(), None
    session.flush()
    return deliveries(session, delivery_id=delivery_id)[0]


# --- creating notices ------------------------------------------------------------------------


def emit_indexed_events(engine: Engine) -> int:
    """Create the notices of commands that became `indexed` since the last call; returns how many."""
    with Session(engine) as session:
        now = time.time()
        seqs = _claim_unnotified(
            session, col(OutboxCommand.seq), col(OutboxCommand.notified_at), now, col(OutboxCommand.status) == INDEXED
        )
        if not seqs:
            return 0
        commands = (
            session.execute(
                select(OutboxCommand).where(col(OutboxCommand.seq).in_(seqs)).order_by(col(OutboxCommand.seq))
            )
            .scalars()
            .all()
        )
        listeners = _listeners(session)
        notices = []
        for command in commands:
            event = COMMAND_EVENTS.get(command.kind)
            if event:
                notices.append(
                    (
                        event,
                        command.project_code,
                        {
                            "event": event,
                            "project_code": command.project_code,
                            "reference": command.reference,
                            "command_id": command.id,
                            "transaction_hash": command.transaction_hash,
                            "block_number": command.block_number,
                        },
                    )
                )
        watching_clearance = any("clearance.changed" in e.events.split(",") for e in listeners)
        for project_code in sorted({c.project_code for c in commands}) if watching_clearance else []:
            answer = clearance(session, project_code=project_code)
            previous = session.get(ClearanceNotice, project_code)
            if previous is None or previous.clear != answer.clear:
                notices.append(
                    (
                        "clearance.changed",
                        project_code,
                        {"event": "clearance.changed", **answer.model_dump(mode="json")},
                    )
                )
                if previous is None:
                    session.add(ClearanceNotice(project_code=project_code, clear=answer.clear, updated_at=now))
                else:
                    previous.clear, previous.updated_at = answer.clear, now
        sent = _fan_out(session, listeners, notices, now)
        session.commit()
        return sent


CLAIM_BATCH = 5000  # rows claimed by one emission


def _claim_unnotified(session: Session, key, notified_at, now: float, *where) -> list:
    """Claim up to CLAIM_BATCH rows not yet announced (`notified_at` NULL, and `where`), oldest first:
    mark them announced at `now` in the caller's transaction and return their keys. The claim is one
    UPDATE ... RETURNING whose candidates are locked with FOR UPDATE SKIP LOCKED on PostgreSQL, so two
    emissions at once never claim the same row (the second skips what the first holds); SQLite runs one
    writer at a time. The fan-out follows in the same transaction: if it fails, the claim rolls back."""
    candidates = (
        select(key)
        .where(notified_at.is_(None), *where)
        .order_by(key)
        .limit(CLAIM_BATCH)
        .with_for_update(skip_locked=True)
    )
    claimed = session.execute(
        update(key.table)
        .where(key.in_(candidates.scalar_subquery()), notified_at.is_(None))
        .values({notified_at.name: now})
        .returning(key)
    )
    return sorted(claimed.scalars().all())


def _listeners(session: Session) -> list[WebhookEndpoint]:
    """Disabled endpoints still get their notices (kept until re-enabled); removed ones do not."""
    return list(
        session.execute(select(WebhookEndpoint).where(col(WebhookEndpoint.removed_at).is_(None))).scalars().all()
    )


def _fan_out(session: Session, listeners, notices: list[tuple[str, str, dict]], now: float) -> int:
    """One delivery per notice and endpoint that hears its event (and its project); returns how many."""
    registered_by = (
        dict(
            session.execute(
                select(col(Project.project_code), col(Project.registered_by)).where(
                    col(Project.project_code).in_({project for _, project, _ in notices})
                )
            )
            .tuples()
            .all()
        )
        if notices
        else {}
    )
    rows = []
    for event, project_code, payload in notices:
        for endpoint in listeners:
            if event in endpoint.events.split(",") and (
                endpoint.projects == "all" or registered_by.get(project_code) == endpoint.subscriber
            ):
                delivery_id = uuid.uuid4().hex
                body = _notice(
                    event, {**payload, "version": NOTICE_VERSION, "delivery_id": delivery_id, "created_at": now}
                )
                rows.append(
                    {
                        "id": delivery_id,
                        "endpoint_id": endpoint.id,
                        "event": event,
                        "project_code": project_code,
                        "payload": body,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                )
    if rows:
        session.execute(insert(WebhookDelivery), rows)
    return len(rows)


def emit_enterprise_notices(engine: Engine) -> int:
    """Create the `commitment.due_soon` notices of reminders made since the last call; returns how many.
    (An outcome notice needs none here: the command that made the outcome announces it when indexed; nor
    does a repair application's step, ledger.domain.repair_notices: `commitment.repaired` tells its outcome.)"""
    with Session(engine) as session:
        now = time.time()
        ids = _claim_unnotified(session, col(EnterpriseNotice.id), col(EnterpriseNotice.notified_at), now)
        if not ids:
            return 0
        made = (
            session.execute(
                select(EnterpriseNotice).where(col(EnterpriseNotice.id).in_(ids)).order_by(col(EnterpriseNotice.id))
            )
            .scalars()
            .all()
        )
        listeners = _listeners(session)
        notices = [
            (
                "commitment.due_soon",
                n.project_code,
                {
                    "event": "commitment.due_soon",
                    "project_code": n.project_code,
                    "commitment_number": n.commitment_number,
                    "enterprise_uscc": n.enterprise_uscc,
                    "due_date": n.due_date.isoformat(),
                    "reminder": n.kind,
                },
            )
            for n in made
            if n.kind.startswith("due_in_")
        ]
        sent = _fan_out(session, listeners, notices, now)
        session.commit()
        return sent


def _notice(event: str, payload: dict) -> str:
    """The body as sent: checked against its documented schema (a notice that does not match is a bug here)."""
    NOTICE_SCHEMAS.get(event, CommandNotice).model_validate(payload)
    return orjson.dumps(payload).decode()


# --- delivering ------------------------------------------------------------------------------


def deliver_due(
    engine: Engine, settings: Settings, *, limit: int = 100, clock: Callable[[], float] = time.time
) -> dict:
    """Create pending notices, then send the deliveries that are due and first in their (endpoint, project) line.
    `clock` (unix seconds) decides what is due, the back-off and the disable window."""
    emit_indexed_events(engine)
    emit_enterprise_notices(engine)
    key = private_key_from_seed(settings.platform.signing_key.get_secret_value(), current_profile(settings))
    now = clock()
    with engine.connect() as conn:
        due = conn.execute(
            text("""
            SELECT d.seq, d.id, d.event, d.payload, d.attempts, d.next_attempt_at, e.url, e.id FROM webhook_deliveries d
            JOIN webhook_endpoints e ON e.id = d.endpoint_id
            WHERE d.status = 'pending' AND d.next_attempt_at <= :now AND e.active AND NOT EXISTS (
                SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id
                  AND p.project_code = d.project_code AND p.status = 'pending' AND p.seq < d.seq)
            ORDER BY d.seq LIMIT :limit"""),
            {"now": now, "limit": limit},
        ).all()
    delivered = failed = 0
    session = requests.Session()
    for seq, delivery_id, event, payload, attempts, next_attempt_at, url, endpoint_id in due:
        if not _claim(engine, seq, next_attempt_at, clock):
            continue  # another worker has it
        ok = _attempt(
            engine,
            session,
            key,
            settings,
            seq=seq,
            delivery_id=delivery_id,
            event=event,
            payload=payload.encode(),
            attempts=attempts,
            url=url,
            endpoint_id=endpoint_id,
            clock=clock,
        )
        delivered += ok
        failed += not ok
    return {"delivered": delivered, "failed": failed}


def _claim(engine: Engine, seq: int, next_attempt_at: float, clock: Callable[[], float]) -> bool:
    with engine.begin() as conn:
        return (
            conn.execute(
                text(
                    "UPDATE webhook_deliveries SET next_attempt_at = :later "
                    "WHERE seq = :seq AND status = 'pending' AND next_attempt_at = :was"
                ),
                {"later": clock() + CLAIM_SECONDS, "seq": seq, "was": next_attempt_at},
            ).rowcount
            == 1
        )


def _attempt(
    engine: Engine,
    session: requests.Session,
    key,
    settings: Settings,
    *,
    seq: int,
    delivery_id: str,
    event: str,
    payload: bytes,
    attempts: int,
    url: str,
    endpoint_id: int,
    clock: Callable[[], float],
) -> bool:
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    headers = sign_request(
        key, client_id=settings.platform.client_id, method="POST", target=target, body=payload
    ).as_dict()
    headers.update(
        {
            "Content-Type": "application/json",
            "X-Webhook-Event": event,
            "X-Webhook-Delivery": delivery_id,
            "X-Webhook-Version": str(NOTICE_VERSION),
        }
    )
    started = time.monotonic()
    status_code, error = None, None
    try:
        response = session.post(url, data=payload, headers=headers, timeout=settings.webhooks.timeout_seconds)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}: {response.text[:200]}"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    now = clock()
    ok = error is None
    with engine.begin() as conn:
        conn.execute(
            insert(WebhookAttempt),
            {
                "delivery_seq": seq,
                "attempted_at": now,
                "status_code": status_code,
                "error": error,
                "duration_ms": int((time.monotonic() - started) * 1000),
            },
        )
        if error is None:
            conn.execute(
                text(
                    "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, "
                    "delivered_at = :now, last_status_code = :code, last_error = NULL WHERE seq = :seq"
                ),
                {"now": now, "code": status_code, "seq": seq},
            )
            conn.execute(text("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = :id"), {"id": endpoint_id})
        else:
            delay = min(settings.webhooks.retry_base_seconds * 2**attempts, settings.webhooks.retry_max_seconds)
            conn.execute(
                text(
                    "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = :next, "
                    "last_status_code = :code, last_error = :error WHERE seq = :seq"
                ),
                {"next": now + delay * random.uniform(0.5, 1.0), "code": status_code, "error": error, "seq": seq},
            )
            _disable_if_dead(conn, endpoint_id, now=now, settings=settings, error=error)
    if not ok:
        log.info("webhook %s to %s failed (attempt %d): %s", delivery_id, url, attempts + 1, error)
    return ok


def _disable_if_dead(conn, endpoint_id: int, *, now: float, settings: Settings, error: str) -> None:
    """Start the endpoint's failure clock; when no attempt has succeeded for the disable window,
    disable it (its notices wait) and tell the office (an ERROR log line, and the status it reads)."""
    conn.execute(
        text("UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, :now) WHERE id = :id"),
        {"now": now, "id": endpoint_id},
    )
    endpoint = conn.execute(
        text("SELECT subscriber, url, failing_since FROM webhook_endpoints WHERE id = :id AND active"),
        {"id": endpoint_id},
    ).first()
    if endpoint is None or now - endpoint.failing_since < settings.webhooks.disable_after_seconds:
        return
    reason = (
        f"no delivery succeeded for {now - endpoint.failing_since:.0f} s "
        f"(limit {settings.webhooks.disable_after_seconds:.0f} s); last error: {error}"
    )[:500]
    conn.execute(
        text(
            "UPDATE webhook_endpoints SET active = :off, disabled_at = :now, disabled_reason = :reason WHERE id = :id"
        ),
        {"off": False, "now": now, "reason": reason, "id": endpoint_id},
    )
    log.error(
        "webhook endpoint %d of %s (%s) disabled: %s; its notices wait until it is enabled again "
        "(ledger webhooks enable %d)",
        endpoint_id,
        endpoint.subscriber,
        endpoint.url,
        reason,
        endpoint_id,
    )
