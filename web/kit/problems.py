"""RFC 9457 problem details (`application/problem+json`) for every error the API returns.

A problem names the field and the rule it broke:

    {"type": "/problems/validation-failed", "title": "Invalid input", "status": 422,
     "detail": "amount_fen: Input should be greater than 0", "instance": "/v1/tax/payments",
     "field": "amount_fen", "rule": "greater_than",
     "errors": [{"field": "amount_fen", "rule": "greater_than", "detail": "Input should be greater than 0"}]}

`type` is a relative URI: GET it (e.g. /problems/validation-failed) for the description.
Domain errors (ledger.domain.errors) map to their status and type; FastAPI's request
validation errors and Starlette's HTTP errors are converted too, so nothing else escapes.
"""

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ledger.core.identifiers import InvalidIdentifier
from ledger.domain import errors as domain

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "/problems/"
# A route's OpenAPI `responses=` (FastAPI's own type): by status code, what each answer documents.
OpenApiResponses = dict[int | str, dict[str, Any]]


@dataclass(frozen=True)
class ProblemType:
    status: int
    title: str
    description: str
    example_detail: str
    example_field: str | None = None
    example_rule: str | None = None


PROBLEM_TYPES: dict[str, ProblemType] = {
    "validation-failed": ProblemType(
        422,
        "Invalid input",
        "A field breaks its rule; `field` names it, `rule` says which rule, `errors` lists every one.",
        "builder_uscc: not a valid unified social credit code (GB 32100-2015)",
        "builder_uscc",
        "uscc",
    ),
    "malformed-request": ProblemType(
        400,
        "Malformed request",
        "The request cannot be read: `field` body with `rule` json_invalid (not JSON), utf8 (not UTF-8) or "
        "max_depth (nested too deep); or a bad cursor.",
        "the body is not valid JSON",
        "body",
        "json_invalid",
    ),
    "payload-too-large": ProblemType(
        413,
        "Request body too large",
        "The body exceeds the configured limit (LEDGER_API_MAX_BODY_BYTES).",
        "the body is 2000000 bytes; at most 1048576 are accepted",
        "body",
        "max_bytes",
    ),
    "authentication-required": ProblemType(
        401,
        "Authentication required",
        "A signature header or the session cookie is missing.",
        "the X-Signature header is missing",
        "X-Signature",
        "required",
    ),
    "signature-rejected": ProblemType(
        401,
        "Signature rejected",
        "The request signature does not verify: unknown client, no active key matches, the timestamp is outside "
        "the window, or the nonce was used before.",
        "the timestamp is 301 s away from the server clock; at most 300 s are accepted",
        "X-Timestamp",
        "within_window",
    ),
    "login-failed": ProblemType(
        401,
        "Login failed",
        "Unknown user or wrong password (the two are not told apart).",
        "unknown user or wrong password",
        "password",
        "matches",
    ),
    "login-locked": ProblemType(
        429,
        "Login locked",
        "Too many failed logins for this account (LEDGER_API_LOGIN_FAILURES_PER_ACCOUNT, default 10) or from this "
        "address (LEDGER_API_LOGIN_FAILURES_PER_ADDRESS, default 100) within LEDGER_API_LOGIN_WINDOW_SECONDS "
        "(default 900) of the first: every login, the right password too, is refused until the Retry-After seconds "
        "have passed.",
        "too many failed logins for this account; it is locked, retry after 840 s",
        "username",
        "login_failures",
    ),
    "login-unavailable": ProblemType(
        503,
        "Login unavailable",
        "Failed logins cannot be counted (the rate-limit store is unreachable), so no login is accepted; retry "
        "after the Retry-After seconds.",
        "logins cannot be counted right now, so none is accepted; retry after 30 s",
        None,
        "throttle_available",
    ),
    "forbidden": ProblemType(
        403,
        "Forbidden",
        "The caller is authenticated but may not use this route or see this object.",
        "client tax-bureau (role tax) may call only /v1/tax",
        None,
        "role",
    ),
    "csrf-failed": ProblemType(
        403,
        "CSRF token missing or wrong",
        "A state-changing request with a session cookie must carry the session's CSRF token (X-CSRF-Token header "
        "or csrf_token form field).",
        "the X-CSRF-Token header does not match the session",
        "X-CSRF-Token",
        "matches_session",
    ),
    "not-found": ProblemType(
        404,
        "Not found",
        "The object or route does not exist, or is not the caller's to see.",
        "no project 2026-410105-70-01-000001",
        "project_code",
        "exists",
    ),
    "method-not-allowed": ProblemType(
        405, "Method not allowed", "The route exists but not with this method.", "GET is not allowed here", None, None
    ),
    "conflict": ProblemType(
        409,
        "Already recorded",
        "A business key (voucher number, commitment number, refund reference) is used already; business keys stay "
        "unique forever, whatever the Idempotency-Key.",
        "voucher 332026000000123456 is already recorded",
        "voucher_number",
        "unique_forever",
    ),
    "invalid-state": ProblemType(
        409,
        "Not allowed in the current state",
        "The object exists but its state does not allow this.",
        "commitment C-2026-0001 is breached on chain: fulfil is not possible",
        "action",
        "allowed_transition",
    ),
    "idempotency-key-missing": ProblemType(
        400,
        "Idempotency-Key required",
        "Every POST by a system client carries an Idempotency-Key header of 1 to 255 printable ASCII characters.",
        "the Idempotency-Key header is missing",
        "Idempotency-Key",
        "required",
    ),
    "idempotency-key-reused": ProblemType(
        422,
        "Idempotency-Key reused with another request",
        "The key was first used with a different method, path or body; use a new key for a new request.",
        "key 9f1c… was first used with another body",
        "Idempotency-Key",
        "same_request",
    ),
    "idempotency-key-in-flight": ProblemType(
        409,
        "Request with this Idempotency-Key in progress",
        "The first request with this key is still being processed; retry after a moment to receive its response.",
        "a request with key 9f1c… is still in progress",
        "Idempotency-Key",
        "not_in_flight",
    ),
    "rate-limited": ProblemType(
        429,
        "Too many requests",
        "The public routes allow each client address LEDGER_API_PUBLIC_BURST requests within any "
        "burst / LEDGER_API_PUBLIC_RATE_PER_SECOND seconds, counted by every API process together; wait the "
        "Retry-After seconds.",
        "too many requests from this address; retry after 1 s",
        "client_ip",
        "rate_limit",
    ),
    "domain-error": ProblemType(400, "Request refused", "A domain rule refused the request.", "refused", None, None),
    "internal-error": ProblemType(
        500,
        "Internal error",
        "Something failed on our side; nothing was recorded for this request. Retrying with the same "
        "Idempotency-Key is safe.",
        "internal error",
        None,
        None,
    ),
}

DOMAIN_STATUS = {
    domain.ValidationFailed: 422,
    domain.NotFound: 404,
    domain.InvalidState: 409,
    domain.Conflict: 409,
    domain.Forbidden: 403,
}


class ProblemItem(BaseModel):
    field: str | None = None
    rule: str | None = None
    detail: str


class Problem(BaseModel):
    """An RFC 9457 problem, with the field and rule that failed."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    field: str | None = None
    rule: str | None = None
    errors: list[ProblemItem] | None = None


class ApiProblem(Exception):
    """Raise to answer with a problem of a catalogued type."""

    def __init__(
        self,
        slug: str,
        detail: str,
        *,
        field: str | None = None,
        rule: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        errors: list[ProblemItem] | None = None,
    ):
        self.slug, self.detail, self.field, self.rule = slug, detail, field, rule
        self.status = status or PROBLEM_TYPES[slug].status
        self.headers = headers or {}
        self.errors = errors
        super().__init__(detail)


def problem_response(
    request: Request | None,
    *,
    slug: str,
    status: int,
    detail: str,
    title: str | None = None,
    field: str | None = None,
    rule: str | None = None,
    errors: list[ProblemItem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=TYPE_PREFIX + slug,
        title=title or PROBLEM_TYPES.get(slug, PROBLEM_TYPES["domain-error"]).title,
        status=status,
        detail=detail,
        instance=request.url.path if request else None,
        field=field,
        rule=rule,
        errors=errors,
    )
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=MEDIA_TYPE, headers=headers)


def field_of(loc: tuple) -> str:
    """('body', 'items', 3, 'amount_fen') → items[3].amount_fen; ('header', 'x-nonce') → X-Nonce."""
    where, *path = loc or ("body",)
    if where == "header" and path:
        return "-".join(part.capitalize() for part in str(path[0]).split("-"))
    if not path:
        return str(where)
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def validation_items(errors: list[dict]) -> list[ProblemItem]:
    return [
        ProblemItem(field=field_of(tuple(e.get("loc", ()))), rule=e.get("type"), detail=e.get("msg", "invalid"))
        for e in errors
    ]


def problem_of_domain_error(request: Request | None, exc: domain.DomainError) -> JSONResponse:
    status = next((code for kind, code in DOMAIN_STATUS.items() if isinstance(exc, kind)), 400)
    return problem_response(
        request,
        slug=exc.problem_type,
        status=status,
        detail=exc.detail,
        title=exc.title,
        field=exc.field,
        rule=exc.rule,
    )


def problem_of_exception(request: Request, exc: Exception) -> JSONResponse:
    """The problem response for any exception (also used where handlers do not reach, e.g. the
    idempotent route wrapper, which must store the response it returns)."""
    if isinstance(exc, ApiProblem):
        return problem_response(
            request,
            slug=exc.slug,
            status=exc.status,
            detail=exc.detail,
            field=exc.field,
            rule=exc.rule,
            errors=exc.errors,
            headers=exc.headers,
        )
    if isinstance(exc, domain.DomainError):
        return problem_of_domain_error(request, exc)
    if isinstance(exc, RequestValidationError):
        items = validation_items(list(exc.errors()))
        if items and items[0].rule == "json_invalid":
            return problem_response(
                request,
                slug="malformed-request",
                status=400,
                detail=f"body: {items[0].detail}",
                field="body",
                rule="json_invalid",
                errors=items,
            )
        first = items[0] if items else ProblemItem(detail="invalid input")
        return problem_response(
            request,
            slug="validation-failed",
            status=422,
            detail="; ".join(f"{i.field}: {i.detail}" for i in items[:5]),
            field=first.field,
            rule=first.rule,
            errors=items,
        )
    if isinstance(exc, InvalidIdentifier):  # an identifier checked outside a schema (e.g. in a path)
        return problem_response(
            request,
            slug="validation-failed",
            status=422,
            detail=f"{exc.field}: {exc.rule}",
            field=exc.field,
            rule=_identifier_rule(exc.field),
            errors=[ProblemItem(field=exc.field, rule=_identifier_rule(exc.field), detail=exc.rule)],
        )
    if isinstance(exc, StarletteHTTPException) and exc.status_code == 400 and type(exc.__cause__) in BODY_UNREADABLE:
        rule, detail = BODY_UNREADABLE[type(exc.__cause__)]
        return problem_response(
            request,
            slug="malformed-request",
            status=400,
            detail=f"body: {detail}",
            field="body",
            rule=rule,
            errors=[ProblemItem(field="body", rule=rule, detail=detail)],
        )
    if isinstance(exc, StarletteHTTPException):
        slug = {
            404: "not-found",
            405: "method-not-allowed",
            401: "authentication-required",
            403: "forbidden",
            413: "payload-too-large",
        }.get(exc.status_code, "malformed-request" if exc.status_code < 500 else "internal-error")
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return problem_response(request, slug=slug, status=exc.status_code, detail=str(exc.detail), headers=headers)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(request, slug="internal-error", status=500, detail="internal error")


# What FastAPI's JSON parsing raises besides a syntax error (it answers 400 "error parsing the body",
# caused by these): the rule each breaks.
BODY_UNREADABLE = {
    UnicodeDecodeError: ("utf8", "the body is not valid UTF-8 (JSON bodies are UTF-8)"),
    RecursionError: ("max_depth", "the JSON nests too deep (several hundred levels at most)"),
}


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path. Starlette's 405 names only the first route whose
    path matches (GET /v1/webhooks/{id}), not the others at the same path (DELETE /v1/webhooks/{id})."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if route.matches(request.scope)[0] != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def _identifier_rule(field: str) -> str:
    """The rule name of an identifier field, as the schemas name it (project_code, uscc, reference...)."""
    for rule in ("project_code", "levy_number", "reason_code", "uscc"):
        if field.endswith(rule):
            return rule
    return "reference"


def install_problem_handlers(app: FastAPI) -> None:
    for kind in (
        ApiProblem,
        domain.DomainError,
        InvalidIdentifier,
        RequestValidationError,
        StarletteHTTPException,
        Exception,
    ):
        app.add_exception_handler(kind, problem_of_exception)


def problem_responses(*slugs: str) -> OpenApiResponses:
    """OpenAPI `responses` for a route: each status with an example for every problem type it may return."""
    by_status: OpenApiResponses = {}
    for slug in slugs:
        kind = PROBLEM_TYPES[slug]
        example = Problem(
            type=TYPE_PREFIX + slug,
            title=kind.title,
            status=kind.status,
            detail=kind.example_detail,
            instance="/v1/…",
            field=kind.example_field,
            rule=kind.example_rule,
        ).model_dump(exclude_none=True)
        entry = by_status.setdefault(
            kind.status, {"model": Problem, "description": kind.title, "content": {MEDIA_TYPE: {"examples": {}}}}
        )
        if kind.title not in entry["description"]:
            entry["description"] += f" / {kind.title}"
        entry["content"][MEDIA_TYPE]["examples"][slug] = {"summary": kind.title, "value": example}
    return by_status
