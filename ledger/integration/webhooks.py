"""Outbound webhooks to the tax and approval systems: signed, at least once, in order per project.

* Notices are created from the chain's truth: when a command is `indexed` (payment recorded,
  commitment breached or overdue) and when a project's clearance answer changes.
* Each request is signed with the platform's Ed25519 key exactly like inbound requests
  (DESIGN.md §6, ledger.access.signing): X-Client-Id (LEDGER_PLATFORM_CLIENT_ID), X-Timestamp,
  X-Nonce, X-Signature; plus X-Webhook-Event and X-Webhook-Delivery (the delivery id: receivers
  deduplicate on it, since a notice may arrive more than once).
* A 2xx answer delivers a notice; anything else is retried with exponential back-off and jitter
  between LEDGER_WEBHOOK_RETRY_BASE_SECONDS and LEDGER_WEBHOOK_RETRY_MAX_SECONDS, never given up.
  A notice waits while an earlier one for the same endpoint and project is undelivered.
* Every attempt is kept (`webhook_attempts`); `redeliver` sends a notice again on demand.
"""

import logging
import random
import time
import uuid
from urllib.parse import urlsplit

import orjson
import requests
from sqlalchemy import Engine, bindparam, insert, select, text
from sqlalchemy.orm import Session

from ledger.access.signing import private_key_from_seed, sign_request
from ledger.db.write_model import (ClearanceNotice, OutboxCommand, WebhookAttempt, WebhookDelivery,
                                   WebhookEndpoint)
from ledger.domain.clearance import clearance
from ledger.domain.common import from_unix
from ledger.domain.errors import NotFound
from ledger.domain.schemas import WebhookDeliveryPublic, WebhookEndpointCreate
from ledger.settings import Settings
from ledger.writer.outbox import INDEXED

log = logging.getLogger(__name__)

# command kind -> the event its indexing announces
COMMAND_EVENTS = {"record_payment": "payment.recorded", "breach_commitment": "commitment.breached",
                  "mark_overdue": "commitment.overdue"}
CLAIM_SECONDS = 60.0  # a claimed delivery is not picked by another worker for this long


def add_endpoint(session: Session, *, endpoint: WebhookEndpointCreate) -> int:
    row = WebhookEndpoint(subscriber=endpoint.subscriber, url=endpoint.url, events=",".join(endpoint.events),
                          active=True, created_at=time.time())
    session.add(row)
    session.flush()
    return row.id


def deliveries(session: Session, *, subscriber: str | None = None, delivery_id: str | None = None,
               limit: int = 100) -> list[WebhookDeliveryPublic]:
    """The delivery history, newest first."""
    query = select(WebhookDelivery, WebhookEndpoint.subscriber).join(
        WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
    if subscriber is not None:
        query = query.where(WebhookEndpoint.subscriber == subscriber)
    if delivery_id is not None:
        query = query.where(WebhookDelivery.id == delivery_id)
    rows = session.execute(query.order_by(WebhookDelivery.seq.desc()).limit(limit)).all()
    return [WebhookDeliveryPublic(delivery_id=d.id, subscriber=sub, event=d.event, project_code=d.project_code,
                                  status=d.status, attempts=d.attempts, last_status_code=d.last_status_code,
                                  last_error=d.last_error, created_at=from_unix(d.created_at),
                                  delivered_at=from_unix(d.delivered_at)) for d, sub in rows]


def redeliver(session: Session, *, delivery_id: str) -> WebhookDeliveryPublic:
    """Send a notice again now (also one already delivered); its history keeps every attempt."""
    delivery = session.execute(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)).scalars().first()
    if delivery is None:
        raise NotFound(f"no webhook delivery {delivery_id}", field="delivery_id", rule="known_delivery")
    delivery.status, delivery.next_attempt_at, delivery.delivered_at = "pending", time.time(), None
    session.flush()
    return deliveries(session, delivery_id=delivery_id)[0]


# --- creating notices ------------------------------------------------------------------------

def emit_indexed_events(engine: Engine) -> int:
    """Create the notices of commands that became `indexed` since the last call; returns how many."""
    with Session(engine) as session:
        commands = session.execute(select(OutboxCommand).where(
            OutboxCommand.notified_at.is_(None), OutboxCommand.status == INDEXED)
            .order_by(OutboxCommand.seq).limit(5000)).scalars().all()
        if not commands:
            return 0
        endpoints = session.execute(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True))).scalars().all()
        now = time.time()
        notices = []
        for command in commands:
            event = COMMAND_EVENTS.get(command.kind)
            if event:
                notices.append((event, command.project_code, {
                    "event": event, "project_code": command.project_code, "reference": command.reference,
                    "command_id": command.id, "transaction_hash": command.transaction_hash,
                    "block_number": command.block_number}))
        watching_clearance = any("clearance.changed" in e.events.split(",") for e in endpoints)
        for project_code in sorted({c.project_code for c in commands}) if watching_clearance else []:
            answer = clearance(session, project_code=project_code)
            previous = session.get(ClearanceNotice, project_code)
            if previous is None or previous.clear != answer.clear:
                notices.append(("clearance.changed", project_code,
                                {"event": "clearance.changed", **answer.model_dump(mode="json")}))
                if previous is None:
                    session.add(ClearanceNotice(project_code=project_code, clear=answer.clear, updated_at=now))
                else:
                    previous.clear, previous.updated_at = answer.clear, now
        rows = []
        for event, project_code, payload in notices:
            for endpoint in endpoints:
                if event in endpoint.events.split(","):
                    delivery_id = uuid.uuid4().hex
                    body = orjson.dumps({**payload, "delivery_id": delivery_id, "created_at": now}).decode()
                    rows.append({"id": delivery_id, "endpoint_id": endpoint.id, "event": event,
                                 "project_code": project_code, "payload": body, "status": "pending", "attempts": 0,
                                 "next_attempt_at": now, "created_at": now})
        if rows:
            session.execute(insert(WebhookDelivery), rows)
        session.execute(text("UPDATE outbox_commands SET notified_at = :now WHERE seq IN :seqs")
                        .bindparams(bindparam("seqs", expanding=True)),
                        {"now": now, "seqs": [c.seq for c in commands]})
        session.commit()
        return len(rows)


# --- delivering ------------------------------------------------------------------------------

def deliver_due(engine: Engine, settings: Settings, *, limit: int = 100) -> dict:
    """Create pending notices, then send the deliveries that are due and first in their (endpoint, project) line."""
    emit_indexed_events(engine)
    key = private_key_from_seed(settings.platform_signing_key.get_secret_value())
    now = time.time()
    with engine.connect() as conn:
        due = conn.execute(text("""
            SELECT d.seq, d.id, d.event, d.payload, d.attempts, d.next_attempt_at, e.url FROM webhook_deliveries d
            JOIN webhook_endpoints e ON e.id = d.endpoint_id
            WHERE d.status = 'pending' AND d.next_attempt_at <= :now AND NOT EXISTS (
                SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id
                  AND p.project_code = d.project_code AND p.status = 'pending' AND p.seq < d.seq)
            ORDER BY d.seq LIMIT :limit"""), {"now": now, "limit": limit}).all()
    delivered = failed = 0
    session = requests.Session()
    for seq, delivery_id, event, payload, attempts, next_attempt_at, url in due:
        if not _claim(engine, seq, next_attempt_at):
            continue  # another worker has it
        ok = _attempt(engine, session, key, settings, seq=seq, delivery_id=delivery_id, event=event,
                      payload=payload.encode(), attempts=attempts, url=url)
        delivered += ok
        failed += not ok
    return {"delivered": delivered, "failed": failed}


def _claim(engine: Engine, seq: int, next_attempt_at: float) -> bool:
    with engine.begin() as conn:
        return conn.execute(text("UPDATE webhook_deliveries SET next_attempt_at = :later "
                                 "WHERE seq = :seq AND status = 'pending' AND next_attempt_at = :was"),
                            {"later": time.time() + CLAIM_SECONDS, "seq": seq, "was": next_attempt_at}).rowcount == 1


def _attempt(engine: Engine, session: requests.Session, key, settings: Settings, *, seq: int, delivery_id: str,
             event: str, payload: bytes, attempts: int, url: str) -> bool:
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    headers = sign_request(key, client_id=settings.platform_client_id, method="POST", target=target,
                           body=payload).as_dict()
    headers.update({"Content-Type": "application/json", "X-Webhook-Event": event, "X-Webhook-Delivery": delivery_id})
    started = time.monotonic()
    status_code, error = None, None
    try:
        response = session.post(url, data=payload, headers=headers, timeout=settings.webhook_timeout_seconds)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}: {response.text[:200]}"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    now = time.time()
    ok = error is None
    with engine.begin() as conn:
        conn.execute(insert(WebhookAttempt), {"delivery_seq": seq, "attempted_at": now, "status_code": status_code,
                                              "error": error, "duration_ms": int((time.monotonic() - started) * 1000)})
        if ok:
            conn.execute(text("UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, "
                              "delivered_at = :now, last_status_code = :code, last_error = NULL WHERE seq = :seq"),
                         {"now": now, "code": status_code, "seq": seq})
        else:
            delay = min(settings.webhook_retry_base_seconds * 2 ** attempts, settings.webhook_retry_max_seconds)
            conn.execute(text("UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = :next, "
                              "last_status_code = :code, last_error = :error WHERE seq = :seq"),
                         {"next": now + delay * random.uniform(0.5, 1.0), "code": status_code, "error": error,
                          "seq": seq})
    if not ok:
        log.info("webhook %s to %s failed (attempt %d): %s", delivery_id, url, attempts + 1, error)
    return ok
