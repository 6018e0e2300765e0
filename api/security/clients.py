"""Routes for system clients: every request signed, each client only on its own routes, and
every POST idempotent. Routers opt in with `APIRouter(route_class=signed_route("tax"))`."""

from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from api import idempotency
from api.deps import get_engine_for, settings_for
from api.security.signatures import SystemClient, verify_signed_request
from ledger.access import store


def request_target(request: Request) -> str:
    """PATH?QUERY exactly as sent on the request line (what the client signed)."""
    path = request.scope.get("raw_path") or request.scope["path"].encode()
    query = request.scope.get("query_string", b"")
    return (path + (b"?" + query if query else b"")).decode("latin-1")


def signed_route(*roles: str) -> type[APIRoute]:
    """A route class that admits only clients of `roles`, after their signature verifies."""

    class SignedRoute(APIRoute):
        def get_route_handler(self):
            handler = super().get_route_handler()

            async def guarded(request: Request) -> Response:
                settings = settings_for(request).api
                engine = get_engine_for()
                body = await request.body()
                target = request_target(request)

                verify = dict(method=request.method, target=target, headers=request.headers, body=body, roles=roles,
                              window_seconds=settings.signature_window_seconds)
                if request.method != "POST":
                    def admit():  # the only write of the request: its COMMIT makes the nonce durable
                        with engine.begin() as conn:
                            return verify_signed_request(conn, **verify)

                    request.state.client = await run_in_threadpool(admit)
                    return await handler(request)

                # A POST uses one pooled connection throughout: one transaction stores the nonce and
                # claims the key, then the route's transaction. The first COMMIT does not wait for the
                # WAL flush when the second follows (its flush covers the first): the nonce is durable
                # before the response either way.
                conn = None

                def admit_post():
                    nonlocal conn
                    key = None

                    def check_key():
                        nonlocal key
                        key = idempotency.key_of(request.headers)

                    conn = engine.connect()
                    with conn.begin():
                        store.commit_without_flush_wait(conn)
                        client = verify_signed_request(conn, before_writing=check_key, **verify)
                        claimed = idempotency.claim(conn, key=key, method=request.method, target=target,
                                                    body=body, client_id=client.id, settings=settings)
                        if claimed.outcome != "claimed":  # answered now (replay, 409, 422): no second COMMIT
                            store.commit_with_flush_wait(conn)
                    return client, key, claimed

                try:
                    client, key, claimed = await run_in_threadpool(admit_post)
                    request.state.client = client
                    return await idempotency.run_once(request, conn=conn, client_id=client.id, key=key,
                                                      claimed=claimed, handler=handler)
                finally:
                    if conn is not None and not conn.closed:  # run_once closes it when it settles
                        await run_in_threadpool(conn.close)

            return guarded

    return SignedRoute


# Declared so OpenAPI shows the scheme; the verification itself is in the route class above.
_client_id_header = APIKeyHeader(name="X-Client-Id", scheme_name="Ed25519 signed request", auto_error=False,
                                 description="Also X-Timestamp, X-Nonce and X-Signature: see README "
                                             "\"Calling the API\". POSTs also need an Idempotency-Key.")


async def current_client(request: Request, _: Annotated[str | None, Depends(_client_id_header)]) -> SystemClient:
    return request.state.client  # async: no thread hop to read what admission stored


ClientDep = Annotated[SystemClient, Depends(current_client)]
