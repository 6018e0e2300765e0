"""The push of every credit event to the city's credit platform (信用信息互联互通): signed, versioned,
at least once, in order per enterprise, with its delivery history and redelivery.

* **What goes out**: exactly the bulk export's records (ledger.domain.credit_export), one per push, in
  an envelope (ledger.sharing.schemas.CreditEventPush, schema version 1). `queue_new_events` scans the
  read model by block time from a cursor, in ranges the export accepts, and queues each event not yet
  queued (the unique `event_id`); the last scanned second is scanned again next time, for a block of
  the same second indexed later, and the ids keep that from queueing anything twice. Each enterprise's
  events are numbered 1, 2, 3 … in chain order (`enterprise_sequence`).
* **Signed** with the platform's key exactly like the outbound webhooks (ledger.access.signing:
  X-Client-Id, X-Timestamp, X-Nonce, X-Signature; Ed25519, or SM2 under the gm profile; the public
  half at GET /v1/public/keys/webhook), plus X-Credit-Event-Id and X-Credit-Schema-Version.
* **In order per enterprise**: a push is sent only when no earlier push of its enterprise is
  unacknowledged; another enterprise's pushes do not wait for it.
* **At least once**: a 2xx answer delivers a push; anything else (or no answer) is retried with
  exponential back-off and jitter between LEDGER_CREDIT_SHARING_RETRY_BASE_SECONDS and
  LEDGER_CREDIT_SHARING_RETRY_MAX_SECONDS. Every attempt is kept (`credit_push_attempts`).
* **Claimed before sent**: one atomic UPDATE moves a push from `pending` to `sending` (with a claim
  that expires, for a worker that dies mid-send), so two workers never send the same push at once.
* `redeliver` sends a push again on demand (also a delivered one): the receiver deduplicates by event id.
"""

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

import requests
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.access.signing import private_key_from_seed, sign_request
from ledger.core.crypto_profile import current_profile
from ledger.core.settings import Settings
from ledger.db.read_model import BlockTime
from ledger.db.sharing_model import CreditPush, CreditPushAttempt, CreditSharingCursor
from ledger.domain.common import from_unix, read_model_chain_id
from ledger.domain.credit.rules import RuleSet
from ledger.domain.credit_export import LONGEST_RANGE, credit_event_export
from ledger.domain.errors import InvalidState, NotFound
from ledger.domain.inspections import store_selections
from ledger.domain.schemas.credit import CreditEventExport
from ledger.sharing.schemas import (
    SCHEMA_VERSION,
    CreditEventPush,
    CreditPushAttemptPublic,
    CreditPushPublic,
)

log = logging.getLogger(__name__)

CLAIM_MARGIN_SECONDS = 30.0  # a claim outlasts one request's timeout by this much
UNACKNOWLEDGED = "('pending', 'sending')"


def _due_sql(row: str) -> str:
    """Due: pending and its time come, or claimed by a worker whose claim ran out (it died mid-send)."""
    return (
        f"(({row}.status = 'pending' AND {row}.next_attempt_at <= :now) "
        f"OR ({row}.status = 'sending' AND {row}.claimed_until < :now))"
    )


def _first_in_line_sql(row: str) -> str:
    """First in its enterprise's line: no earlier push of the enterprise is unacknowledged."""
    return f"""NOT EXISTS (SELECT 1 FROM credit_pushes p WHERE p.enterprise_key = {row}.enterprise_key
    AND p.status IN {UNACKNOWLEDGED} AND p.seq < {row}.seq)"""


def event_id(record: CreditEventExport, ordinal: int = 0) -> str:
    """The event's id: chain, block, log index and kind; `ordinal` tells apart the events of one kind one
    fact gives (a fulfilment giving back two overdue marks gives two `overdue_mark_voided`)."""
    proof = record.proof
    base = f"{proof.chain_id}-{proof.block_number}-{proof.log_index}-{record.kind}"
    return base if ordinal == 0 else f"{base}-{ordinal}"


def with_event_ids(records: list[CreditEventExport]) -> list[tuple[str, CreditEventExport]]:
    """The records with their ids, in the order given (the export's: chain order)."""
    seen: Counter[tuple] = Counter()
    named = []
    for record in records:
        key = (record.proof.chain_id, record.proof.block_number, record.proof.log_index, record.kind)
        named.append((event_id(record, seen[key]), record))
        seen[key] += 1
    return named


# --- queueing ----------------------------------------------------------------------------------


def queue_new_events(engine: Engine, *, rules: RuleSet | None = None, clock: Callable[[], float] = time.time) -> int:
    """Queue a push for each credit event indexed since the last scan; returns how many were queued.
    Idempotent: an event already queued is never queued again; concurrent scans take turns."""
    try:
        with Session(engine) as session:
            queued = _queue(session, rules=rules, now=clock())
            session.commit()
            return queued
    except IntegrityError:  # a concurrent scan queued the same events first
        return 0


def _queue(session: Session, *, rules: RuleSet | None, now: float) -> int:
    chain_id = read_model_chain_id(session)
    if chain_id is None:
        return 0
    # A false commitment counts once its draw's selection is kept; keep it before the cursor passes the
    # outcome's block, or the event would never be pushed (the notice scan keeps it too, but later).
    store_selections(session)
    times = select(func.min(col(BlockTime.timestamp)), func.max(col(BlockTime.timestamp))).where(
        col(BlockTime.chain_id) == chain_id
    )
    first, latest = session.execute(times).one()
    if latest is None:
        return 0
    cursor = session.execute(
        select(CreditSharingCursor).where(col(CreditSharingCursor.chain_id) == chain_id).with_for_update()
    ).scalar_one_or_none()
    if cursor is None:
        cursor = CreditSharingCursor(chain_id=chain_id, scan_from=int(first), updated_at=now)
        session.add(cursor)
        session.flush()  # a concurrent first scan makes this fail: it queues, this one does not
    records: list[CreditEventExport] = []
    since, until = cursor.scan_from, int(latest) + 1
    step = int(LONGEST_RANGE.total_seconds())
    for start in range(since, until, step):
        end = min(start + step, until)
        records += credit_event_export(session, since=from_unix(start), until=from_unix(end), rules=rules)
    cursor.scan_from, cursor.updated_at = int(latest), now  # the last second again next time
    named = with_event_ids(records)
    known = _known_ids(session, [name for name, _ in named])
    fresh = [(name, record) for name, record in named if name not in known]
    if not fresh:
        return 0
    last = dict(
        session.execute(
            select(col(CreditPush.enterprise_key), func.max(col(CreditPush.enterprise_sequence)))
            .where(col(CreditPush.enterprise_key).in_({r.enterprise_key for _, r in fresh}))
            .group_by(col(CreditPush.enterprise_key))
        )
        .tuples()
        .all()
    )
    rows = []
    for name, record in fresh:
        sequence = last.get(record.enterprise_key, 0) + 1
        last[record.enterprise_key] = sequence
        body = CreditEventPush(
            event_id=name,
            enterprise_key=record.enterprise_key,
            enterprise_sequence=sequence,
            queued_at=from_unix(now),
            record=record,
        )
        rows.append(
            {
                "event_id": name,
                "enterprise_key": record.enterprise_key,
                "enterprise_sequence": sequence,
                "kind": record.kind,
                "payload": body.model_dump_json(),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    session.execute(insert(CreditPush), rows)
    return len(rows)


def _known_ids(session: Session, names: list[str]) -> set[str]:
    known: set[str] = set()
    for at in range(0, len(names), 1_000):
        known |= set(
            session.execute(
                select(col(CreditPush.event_id)).where(col(CreditPush.event_id).in_(names[at : at + 1_000]))
            )
            .scalars()
            .all()
        )
    return known


# --- delivering --------------------------------------------------------------------------------


def deliver_due(
    engine: Engine, settings: Settings, *, rules: RuleSet | None = None, clock: Callable[[], float] = time.time
) -> dict[str, int]:
    """Queue the new credit events, then send the pushes that are due and first in their enterprise's
    line (the next of an enterprise right after its previous is acknowledged), up to the batch size.
    Nothing when LEDGER_CREDIT_SHARING_URL is unset. `clock` (unix seconds) decides what is due."""
    sharing = settings.credit_sharing
    if sharing.url is None:
        return {"queued": 0, "delivered": 0, "failed": 0}
    queued = queue_new_events(engine, rules=rules, clock=clock)
    key = private_key_from_seed(settings.platform.signing_key.get_secret_value(), current_profile(settings))
    http = requests.Session()
    delivered = failed = 0
    budget = sharing.batch_size
    while budget > 0:
        progressed = False
        for seq in _due(engine, now=clock(), limit=budget):
            claim = _claim(engine, seq, now=clock(), seconds=sharing.timeout_seconds + CLAIM_MARGIN_SECONDS)
            if claim is None:
                continue  # another worker has it, or an earlier push of its enterprise came back
            budget -= 1
            ok = _attempt(engine, http, key, settings, seq=seq, claim=claim, clock=clock)
            delivered += ok
            failed += not ok
            progressed |= ok
        if not progressed:
            break
    return {"queued": queued, "delivered": delivered, "failed": failed}


def _due(engine: Engine, *, now: float, limit: int) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    f"SELECT d.seq FROM credit_pushes d WHERE {_due_sql('d')} AND {_first_in_line_sql('d')} "
                    "ORDER BY d.seq LIMIT :limit"
                ),
                {"now": now, "limit": limit},
            ).scalars()
        )


def _claim(engine: Engine, seq: int, *, now: float, seconds: float) -> float | None:
    """Take a push for sending in one atomic UPDATE (if it is still due and first in line); returns the
    claim's expiry, which the outcome is written against, or None when another worker has it.
    The due condition is on the updated row's own columns: PostgreSQL re-checks those on the row as
    the concurrent claim left it (READ COMMITTED), where a subquery would see the statement's snapshot
    and let two workers claim the same push."""
    until = now + seconds
    with engine.begin() as conn:
        taken = conn.execute(
            text(
                "UPDATE credit_pushes SET status = 'sending', claimed_until = :until WHERE seq = :seq "
                f"AND {_due_sql('credit_pushes')} AND {_first_in_line_sql('credit_pushes')}"
            ),
            {"until": until, "seq": seq, "now": now},
        ).rowcount
    return until if taken == 1 else None


def _attempt(
    engine: Engine,
    http: requests.Session,
    key,
    settings: Settings,
    *,
    seq: int,
    claim: float,
    clock: Callable[[], float],
) -> bool:
    sharing = settings.credit_sharing
    assert sharing.url is not None  # checked by deliver_due
    with engine.connect() as conn:
        name, payload, attempts = conn.execute(
            text("SELECT event_id, payload, attempts FROM credit_pushes WHERE seq = :seq"), {"seq": seq}
        ).one()
    body = payload.encode()
    headers = sign_request(
        key, client_id=settings.platform.client_id, method="POST", target=_target(sharing.url), body=body
    ).as_dict()
    headers |= {
        "Content-Type": "application/json",
        "X-Credit-Event-Id": name,
        "X-Credit-Schema-Version": str(SCHEMA_VERSION),
    }
    started = time.monotonic()
    status_code, error = None, None
    try:
        response = http.post(sharing.url, data=body, headers=headers, timeout=sharing.timeout_seconds)
        status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}: {response.text[:200]}"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    now = clock()
    with engine.begin() as conn:
        conn.execute(
            insert(CreditPushAttempt),
            {
                "push_seq": seq,
                "attempted_at": now,
                "status_code": status_code,
                "error": error,
                "duration_ms": int((time.monotonic() - started) * 1000),
            },
        )
        if error is None:
            outcome = "status = 'delivered', delivered_at = :now, last_error = NULL"
            values: dict = {"now": now}
        else:
            delay = min(sharing.retry_base_seconds * 2**attempts, sharing.retry_max_seconds)
            outcome = "status = 'pending', next_attempt_at = :next, last_error = :error"
            values = {"next": now + delay * random.uniform(0.5, 1.0), "error": error}
        # Written against this worker's claim: a claim that ran out and was taken over is the other's now.
        conn.execute(
            text(
                f"UPDATE credit_pushes SET {outcome}, attempts = attempts + 1, last_status_code = :code, "
                "claimed_until = NULL WHERE seq = :seq AND status = 'sending' AND claimed_until = :claim"
            ),
            {**values, "code": status_code, "seq": seq, "claim": claim},
        )
    if error is not None:
        log.info("credit push %s failed (attempt %d): %s", name, attempts + 1, error)
    return error is None


def _target(url: str) -> str:
    """The request target that is signed: path and query as sent."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


# --- history and redelivery --------------------------------------------------------------------


def pushes(
    session: Session,
    *,
    status: str | None = None,
    enterprise_key: str | None = None,
    event_id: str | None = None,
    limit: int = 100,
) -> list[CreditPushPublic]:
    """The pushes, newest first."""
    query = select(CreditPush)
    if status is not None:
        query = query.where(col(CreditPush.status) == status)
    if enterprise_key is not None:
        query = query.where(col(CreditPush.enterprise_key) == enterprise_key)
    if event_id is not None:
        query = query.where(col(CreditPush.event_id) == event_id)
    rows = session.execute(query.order_by(col(CreditPush.seq).desc()).limit(limit)).scalars().all()
    return [
        CreditPushPublic(
            event_id=p.event_id,
            enterprise_key=p.enterprise_key,
            enterprise_sequence=p.enterprise_sequence,
            kind=p.kind,
            status=p.status,
            attempts=p.attempts,
            last_status_code=p.last_status_code,
            last_error=p.last_error,
            created_at=from_unix(p.created_at),
            next_attempt_at=from_unix(p.next_attempt_at) if p.status == "pending" else None,
            delivered_at=from_unix(p.delivered_at),
        )
        for p in rows
    ]


def _push(session: Session, event_id: str) -> CreditPush:
    row = session.execute(select(CreditPush).where(col(CreditPush.event_id) == event_id)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no credit push {event_id}", field="event_id", rule="known_push")
    return row


def attempts(session: Session, *, event_id: str) -> list[CreditPushAttemptPublic]:
    """Every attempt of one push, oldest first."""
    push = _push(session, event_id)
    rows = (
        session.execute(
            select(CreditPushAttempt)
            .where(col(CreditPushAttempt.push_seq) == push.seq)
            .order_by(col(CreditPushAttempt.id))
        )
        .scalars()
        .all()
    )
    return [
        CreditPushAttemptPublic(
            attempted_at=from_unix(a.attempted_at), status_code=a.status_code, error=a.error, duration_ms=a.duration_ms
        )
        for a in rows
    ]


def redeliver(session: Session, *, event_id: str, now: float | None = None) -> CreditPushPublic:
    """Send a push again as soon as it is first in its enterprise's line (also one already delivered: the
    receiver deduplicates by event id); its history keeps every attempt. One being sent now is refused."""
    push = _push(session, event_id)
    if push.status == "sending":
        raise InvalidState(
            f"credit push {event_id} is being sent now; ask again once its attempt ends",
            field="event_id",
            rule="not_sending",
        )
    push.status, push.next_attempt_at, push.delivered_at = "pending", time.time() if now is None else now, None
    session.flush()
    return pushes(session, event_id=event_id)[0]


def backlog(session: Session) -> dict[str, int]:
    """Pushes by status: what the office watches (pending growing: the platform is not taking them)."""
    return dict(
        session.execute(select(col(CreditPush.status), func.count()).group_by(col(CreditPush.status))).tuples().all()
    )
