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
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.admission import Admission, AdmissionDep
from api.security.signatures import SystemClient, request_target
from ledger.access import store
from ledger.core.settings import ApiSettings
from ledger.db.engine import commit_with_flush_wait
from web.kit.database_unavailable import problem_of
from web.kit.deps import settings_for
from web.kit.problems import ApiProblem

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def key_of(headers) -> str:
    key = headers.get(HEADER)
    if not key:
        raise ApiProblem(
            "idempotency-key-missing", "the Idempotency-Key header is missing", field=HEADER, rule="required"
        )
    if not (key.isascii() and key.isprintable()):  # headers arrive as latin-1: UTF-8 bytes show as non-ASCII
        raise ApiProblem(
            "validation-failed",
            "Idempotency-Key must be printable ASCII (0x20-0x7E)",
            field=HEADER,
            rule="printable_ascii",
        )
    if len(key) > MAX_KEY_LENGTH:
        raise ApiProblem(
            "validation-failed",
            f"Idempotency-Key is {len(key)} characters; at most {MAX_KEY_LENGTH}",
            field=HEADER,
            rule="max_length",
        )
    return key


def fingerprint(method: str, target: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join((method.encode(), target.encode(), body))).hexdigest()


def claim(
    conn: Connection,
    *,
    key: str,
    method: str,
    target: str,
    body: bytes,
    client_id: str,
    settings: ApiSettings,
    now: float | None = None,
) -> store.Claim:
    """Claim the request's Idempotency-Key in the caller's transaction (with the nonce: one commit).
    Retention and locks are judged by the database's clock, never this host's: `now` is the time it read
    when the signature was checked in this transaction (else it is read here)."""
    return store.claim_key(
        conn,
        client_id=client_id,
        key=key,
        fingerprint=fingerprint(method, target, body),
        now=store.database_clock(conn) if now is None else now,
        lock_seconds=settings.idempotency_lock_seconds,
        retention_seconds=settings.idempotency_retention_hours * 3600,
    )


def idempotent(client: Callable[..., Any]) -> Callable[..., Any]:
    """A router dependency: a POST by the system client that `client` admits claims its Idempotency-Key in
    the admission transaction and commits it with the nonce; then it is replayed, refused (409 / 422), or
    run in a transaction on the same connection that IdempotentRoute settles with the stored response."""

    async def claim_idempotency_key(
        request: Request, admission: AdmissionDep, system_client: Annotated[SystemClient, Depends(client)]
    ) -> None:
        if admission is None:  # not a POST
            return
        key = key_of(request.headers)  # a refusal rolls the admission back: the nonce is not stored
        conn, claimed = await run_in_threadpool(
            _claim_in_admission,
            admission,
            key=key,
            method=request.method,
            target=request_target(request),
            body=await request.body(),
            client_id=system_client.id,
            settings=settings_for(request).api,
            now=system_client.admitted_at,
        )
        shown = key if len(key) <= 16 else key[:12] + "…"
        if claimed.outcome == "mismatch":
            raise ApiProblem(
                "idempotency-key-reused",
                f"key {shown} was first used with another request (method, path or body); use a new key",
                field=HEADER,
                rule="same_request",
            )
        if claimed.outcome == "in_flight":
            raise ApiProblem(
                "idempotency-key-in-flight",
                f"a request with key {shown} is still in progress; retry shortly to receive its response",
                field=HEADER,
                rule="not_in_flight",
                headers={"Retry-After": "1"},
            )
        if claimed.outcome == "replay":
            raise Replayed(claimed.record)
        # The route's writes and the stored response commit in ONE transaction (web.kit.deps.get_session hands
        # the route this session): a 202 is stored if and only if what it promises was written.
        session = Session(bind=conn)
        session.begin()
        request.state.db_session = session
        request.state.claimed_key = ClaimedKey(conn, session, client_id=system_client.id, key=key)

    return claim_idempotency_key


def _claim_in_admission(admission: Admission, *, settings: ApiSettings, **request) -> tuple[Connection, store.Claim]:
    conn = admission.transaction()
    claimed = claim(conn, settings=settings, **request)
    if claimed.outcome != "claimed":  # answered now (replay, 409, 422): no second COMMIT will flush the WAL
        commit_with_flush_wait(conn)
    conn.commit()
    return conn, claimed


class Replayed(Exception):
    """The stored response to this key: IdempotentRoute answers with it, and the route does not run."""

    def __init__(self, record):
        headers = {"Idempotent-Replayed": "true", **({"Location": record.location} if record.location else {})}
        self.response = Response(
            bytes(record.body), status_code=record.status_code, media_type=record.content_type, headers=headers
        )


class ClaimedKey:
    """A claimed request's connection and transaction, until its response is stored (or its key released)."""

    def __init__(self, conn: Connection, session: Session, *, client_id: str, key: str):
        self.conn, self.session, self.client_id, self.key = conn, session, client_id, key

    async def answer(self, response: Response, *, ran: bool) -> Response:
        try:
            await run_in_threadpool(self.settle, response, ran=ran)
        except BaseException:
            await run_in_threadpool(self.release_after_failure)
            raise
        return response

    def settle(self, response: Response, *, ran: bool) -> None:
        """Store the response of a request that ran (with the route's writes, when it succeeded), or release
        the key of one that did not; the connection goes back to the pool in this same thread hop."""
        record: dict[str, Any] = dict(
            client_id=self.client_id,
            key=self.key,
            status_code=response.status_code,
            content_type=response.headers.get("content-type"),
            location=response.headers.get("location"),
            body=bytes(response.body),
        )
        if ran and response.status_code < 400:
            store.complete_key(self.session.connection(), **record)
            self.session.commit()
        else:
            self.session.rollback()  # a refusal writes nothing but its stored answer
            with self.conn.begin():
                if ran:
                    store.complete_key(self.conn, **record)
                else:
                    store.release_key(self.conn, client_id=self.client_id, key=self.key)
        self.session.close()
        self.conn.close()

    def release_after_failure(self) -> None:
        """The commit itself failed (or the request was cancelled): nothing was written, the key is free again.
        If even that fails (the database is gone), the claim's lock expires and a retry takes it over."""
        try:
            self.session.rollback()
            self.session.close()
            with self.conn.begin():
                store.release_key(self.conn, client_id=self.client_id, key=self.key)
        finally:
            self.conn.close()


class IdempotentRoute(APIRoute):
    """Answers a claimed request (claim_idempotency_key) and stores that answer in the route's transaction
    before it is sent. A route class because no dependency sees the response FastAPI builds."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer_once(request: Request) -> Response:
            try:
                response = await handler(request)
            except Replayed as replayed:
                return replayed.response
            except BaseException as exc:
                claimed = getattr(request.state, "claimed_key", None)
                if claimed is None:
                    raise
                if not isinstance(exc, Exception):  # cancelled while it ran: nothing was written, free the key
                    await run_in_threadpool(claimed.release_after_failure)
                    raise
                response = problem_of(request, exc)  # the answer we store (or release the key for)
                ran = not isinstance(exc, RequestValidationError) and response.status_code < 500
                return await claimed.answer(response, ran=ran)
            claimed = getattr(request.state, "claimed_key", None)
            return response if claimed is None else await claimed.answer(response, ran=response.status_code < 500)

        return answer_once
