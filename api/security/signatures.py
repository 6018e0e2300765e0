"""Verify a system client's signed request (DESIGN.md §6; the scheme is in ledger.access.signing).

Checks run cheapest first and nothing is written until the signature verifies: only then is the
nonce stored, so a forged request can neither burn a client's nonces nor leave any other trace.
The nonce insert is the last step, in the caller's transaction (see api.security.system_clients).
"""

import secrets
from dataclasses import dataclass

from sqlalchemy import Connection
from starlette.requests import Request

from ledger.access import store
from ledger.access.signing import HEADERS, NONCE_PATTERN, canonical_request, public_key_from_raw, verify_signature
from ledger.core.crypto_profile import STANDARD, CryptoProfile, profile_of_raw_public_key
from web.kit.problems import ApiProblem

ROUTES_OF_ROLE = {"tax": "/v1/tax", "approval": "/v1/approval"}


@dataclass(frozen=True)
class SystemClient:
    id: str
    role: str
    key_id: str
    admitted_at: float | None = None  # the database's clock when the signature was checked


def request_target(request: Request) -> str:
    """PATH?QUERY exactly as sent on the request line (what the client signed)."""
    path = request.scope.get("raw_path") or request.scope["path"].encode()
    query = request.scope.get("query_string", b"")
    return (path + (b"?" + query if query else b"")).decode("latin-1")


def _rejected(detail: str, field: str, rule: str) -> ApiProblem:
    return ApiProblem("signature-rejected", detail, field=field, rule=rule)


def verify_signed_request(
    conn: Connection,
    *,
    method: str,
    target: str,
    headers,
    body: bytes,
    roles: tuple[str, ...],
    window_seconds: int,
    profile: CryptoProfile = STANDARD,
    now: float | None = None,
) -> SystemClient:
    """The client whose active key signed this request; raises ApiProblem: 401 when the signature
    does not hold, 403 when the client's role is not among `roles` (its own routes only). Only the
    client's keys of the profile's algorithm are tried (a key left from the other profile never verifies).
    The window is judged, and nonces kept and forgotten, by the database's clock (`now` by default): every
    API process reads the same one, and a jump of a host's clock cannot let a forgotten nonce pass again."""
    values = {}
    for name in HEADERS:
        value = headers.get(name)
        if not value:
            raise ApiProblem("authentication-required", f"the {name} header is missing", field=name, rule="required")
        values[name] = value
    client_id, timestamp, nonce, signature = (values[h] for h in HEADERS)
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise _rejected("X-Timestamp must be unix seconds as a decimal integer", "X-Timestamp", "integer")
    client, database_now = store.get_client_and_clock(conn, client_id)
    now = database_now if now is None else now
    skew = abs(now - int(timestamp))
    if skew > window_seconds:
        raise _rejected(
            f"the timestamp is {skew:.0f} s away from the server clock; at most {window_seconds} s are accepted",
            "X-Timestamp",
            "within_window",
        )
    if not NONCE_PATTERN.match(nonce):
        raise _rejected("X-Nonce must be 16 to 128 characters of A-Z a-z 0-9 _ -", "X-Nonce", "pattern")
    if client is None or not client.active:
        raise _rejected(f"no active client {client_id!r}", "X-Client-Id", "registered")
    message = canonical_request(method, target, timestamp, nonce, body, profile)
    keys = [(kid, raw) for kid, raw in client.keys if profile_of_raw_public_key(raw) is profile]
    key_id = next((kid for kid, raw in keys if verify_signature(public_key_from_raw(raw), signature, message)), None)
    if key_id is None:
        raise _rejected(
            f"the signature does not verify with any active {profile.signatures.name} key of this client over "
            f"METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nhex({profile.digest_name}(body))",
            "X-Signature",
            "verifies",
        )
    if client.role not in roles:
        raise ApiProblem(
            "forbidden",
            f"client {client.id} (role {client.role}) may call only {ROUTES_OF_ROLE.get(client.role, 'no route')}",
            field="X-Client-Id",
            rule="role",
        )
    if not store.remember_nonce(conn, client_id=client_id, nonce=nonce, now=now):
        raise _rejected("this nonce was used before; use a fresh one for every request", "X-Nonce", "unused")
    if secrets.randbelow(1000) == 0:  # now and then, forget nonces whose timestamps can no longer pass
        store.forget_nonces_before(conn, now - 3 * window_seconds)
    return SystemClient(client.id, client.role, key_id, admitted_at=now)
