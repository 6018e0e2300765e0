"""Idempotency-Key on every POST by a system client (DESIGN.md §6).

The first response to a key is stored and replayed (with `Idempotent-Replayed: true`) for at
least LEDGER_API_IDEMPOTENCY_RETENTION_HOURS; the same key with another method, path or body
→ 422; the same key while its first request still runs → 409. Which of several concurrent
requests runs is decided by a primary key in SQL (ledger.access.store.claim_key), so it holds
across any number of API processes.

A request that did not run — refused by schema validation, or failed with a server error — is
not stored: the client may correct it or retry with the same key.
"""

import hashlib
import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.problems import ApiProblem, problem_of_exception
from ledger.core.settings import ApiSettings
from ledger.access import store

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def key_of(headers) -> str:
    key = headers.get(HEADER)
    if not key:
        raise ApiProblem("idempotency-key-missing", "the Idempotency-Key header is missing", field=HEADER, rule="required")
    if not (key.isascii() and key.isprintable()):  # headers arrive as latin-1: UTF-8 bytes show as non-ASCII
        raise ApiProblem("validation-failed", "Idempotency-Key must be printable ASCII (0x20-0x7E)",
                         field=HEADER, rule="printable_ascii")
    if len(key) > MAX_KEY_LENGTH:
        raise ApiProblem("validation-failed", f"Idempotency-Key is {len(key)} characters; at most {MAX_KEY_LENGTH}",
                         field=HEADER, rule="max_length")
    return key


def fingerprint(method: str, target: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join((method.encode(), target.encode(), body))).hexdigest()


def claim(conn: Connection, *, key: str, method: str, target: str, body: bytes, client_id: str,
          settings: ApiSettings) -> store.Claim:
    """Claim the request's Idempotency-Key in the caller's transaction (with the nonce: one commit)."""
    return store.claim_key(conn, client_id=client_id, key=key, fingerprint=fingerprint(method, target, body),
                                now=time.time(), lock_seconds=settings.idempotency_lock_seconds,
                                retention_seconds=settings.idempotency_retention_hours * 3600)


async def run_once(request: Request, *, conn: Connection, client_id: str, key: str, claimed: store.Claim,
                   handler: Callable[[Request], Awaitable[Response]]) -> Response:
    """Answer a claimed request: replay, refuse (409 / 422), or run it and store its response."""
    shown = key if len(key) <= 16 else key[:12] + "…"
    if claimed.outcome == "mismatch":
        raise ApiProblem("idempotency-key-reused", f"key {shown} was first used with another request "
                         "(method, path or body); use a new key", field=HEADER, rule="same_request")
    if claimed.outcome == "in_flight":
        raise ApiProblem("idempotency-key-in-flight", f"a request with key {shown} is still in progress; "
                         "retry shortly to receive its response", field=HEADER, rule="not_in_flight",
                         headers={"Retry-After": "1"})
    if claimed.outcome == "replay":
        record = claimed.record
        headers = {"Idempotent-Replayed": "true", **({"Location": record.location} if record.location else {})}
        return Response(bytes(record.body), status_code=record.status_code, media_type=record.content_type, headers=headers)

    # The route's writes and the stored response commit in ONE transaction (api.deps.get_session hands
    # the route this session): a 202 is stored if and only if what it promises was written.
    session = Session(bind=conn)  # the request's one pooled connection
    session.begin()
    request.state.db_session = session
    try:
        try:
            response = await handler(request)
            ran = response.status_code < 500
        except Exception as exc:  # turned into the problem response we store (or release)
            response = problem_of_exception(request, exc)
            ran = not isinstance(exc, RequestValidationError) and response.status_code < 500

        def settle():
            _settle()
            session.close()
            conn.close()  # back to the pool in this same thread hop

        def _settle():
            record = dict(client_id=client_id, key=key, status_code=response.status_code,
                          content_type=response.headers.get("content-type"), location=response.headers.get("location"),
                          body=bytes(response.body), now=time.time())
            if ran and response.status_code < 400:
                store.complete_key(session.connection(), **record)
                session.commit()
                return
            session.rollback()  # a refusal writes nothing but its stored answer
            with conn.begin():
                if ran:
                    store.complete_key(conn, **record)
                else:
                    store.release_key(conn, client_id=client_id, key=key)

        await run_in_threadpool(settle)
        return response
    except BaseException:
        await run_in_threadpool(_release_after_failure, conn, session, client_id, key)
        raise


def _release_after_failure(conn: Connection, session: Session, client_id: str, key: str) -> None:
    """The commit itself failed (or the request was cancelled): nothing was written, the key is free again.
    If even that fails (the database is gone), the claim's lock expires and a retry takes it over."""
    try:
        session.rollback()
        session.close()
        with conn.begin():
            store.release_key(conn, client_id=client_id, key=key)
    finally:
        conn.close()
