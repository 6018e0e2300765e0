"""System clients (the tax and approval systems): every request signed, each client only on its own
routes, every POST idempotent. A router for them is
`api.signed_routes.signed_router(client=tax_client, ...)`.

`tax_client`, `approval_client` and `tax_or_approval_client` are plain dependencies: a test may replace
one with `app.dependency_overrides[tax_client] = lambda: SystemClient(...)`."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from api.admission import Admission, AdmissionDep
from api.security.signatures import SystemClient, request_target, verify_signed_request
from ledger.core.crypto_profile import current_profile
from web.kit.deps import get_engine_for, settings_for
from web.kit.security_headers import mark_private

# Declared so OpenAPI shows the scheme; the signature is verified by signed_client below.
_client_id_header = APIKeyHeader(
    name="X-Client-Id",
    scheme_name="Ed25519 signed request",
    auto_error=False,
    description="Ed25519, or SM2 under the gm profile (docs/gm-profile.md). Also X-Timestamp, X-Nonce and "
    "X-Signature: see docs/integrators/signing.md. POSTs also need an Idempotency-Key.",
)


def signed_client(*roles: str) -> Callable[..., Any]:
    """A dependency: the client whose active key signed this request, if its role is one of `roles`
    (else 401 or 403, and nothing is written). A POST is verified in its admission transaction, so the
    nonce commits with the Idempotency-Key's claim; any other request in a transaction of its own,
    whose COMMIT makes the nonce durable."""

    async def signed_client_of_roles(
        request: Request, admission: AdmissionDep, _: Annotated[str | None, Depends(_client_id_header)]
    ) -> SystemClient:
        mark_private(request)
        settings = settings_for(request)
        verify = dict(
            method=request.method,
            target=request_target(request),
            headers=request.headers,
            body=await request.body(),
            roles=roles,
            window_seconds=settings.api.signature_window_seconds,
            profile=current_profile(settings),
        )
        return await run_in_threadpool(_verify, admission, get_engine_for(settings), verify)

    return signed_client_of_roles


def _verify(admission: Admission | None, engine: Engine, verify: dict) -> SystemClient:
    if admission is not None:
        return verify_signed_request(admission.transaction(), **verify)
    with engine.begin() as conn:
        return verify_signed_request(conn, **verify)


tax_client = signed_client("tax")
approval_client = signed_client("approval")
tax_or_approval_client = signed_client("tax", "approval")

TaxClient = Annotated[SystemClient, Depends(tax_client)]
ApprovalClient = Annotated[SystemClient, Depends(approval_client)]
TaxOrApprovalClient = Annotated[SystemClient, Depends(tax_or_approval_client)]
