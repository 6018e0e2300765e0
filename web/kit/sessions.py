"""People's sessions: an HttpOnly, SameSite=Lax cookie holding an opaque random token, looked up
server-side on every request (ledger.access.users: a `login_sessions` row per session); and a CSRF
token derived from the session token, required on every state-changing request made with the cookie
(X-CSRF-Token header, or a `csrf_token` field in an urlencoded or multipart form post).

A session ends at logout (its row is deleted, so a copy of the cookie opens nothing), when the
user's password changes or they log out everywhere (all their rows), when the same browser logs
in again (the session it carried), and after LEDGER_API_SESSION_MAX_AGE_SECONDS.
"""

import hmac
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from ledger.access import users
from ledger.access.users import Person
from ledger.core.settings import ApiSettings
from web.kit.deps import get_engine_for, settings_for
from web.kit.problems import ApiProblem
from web.kit.security_headers import mark_private

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_HEADER = "X-CSRF-Token"


def tokens_match(sent: str, expected: str) -> bool:
    """Constant-time comparison of a token the client sent with ours. As bytes: compare_digest raises on
    a str holding anything but ASCII, and what the client sends may hold anything."""
    return hmac.compare_digest(sent.encode(), expected.encode())


def csrf_token(settings: ApiSettings, session_id: str) -> str:
    key = settings.session_secret.get_secret_value().encode()
    return hmac.new(key, b"csrf:" + session_id.encode(), "sha256").hexdigest()


def issue_session(request: Request, response: Response, person: Person, engine: Engine, settings: ApiSettings) -> str:
    """Start a session of `person` (ending the one this browser carried) and set its cookie on
    `response`; returns the session's CSRF token. Blocking: call it in the thread pool."""
    token = users.start_session(
        engine,
        person,
        max_age_seconds=settings.session_max_age_seconds,
        replacing=request.cookies.get(settings.session_cookie_name),
    )
    response.set_cookie(
        settings.session_cookie_name,
        token,
        max_age=settings.session_max_age_seconds,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return csrf_token(settings, token)


def end_session(response: Response, engine: Engine, settings: ApiSettings, session_id: str) -> None:
    """Delete the session server-side and its cookie in the browser. Blocking: call it in the thread pool."""
    users.end_session(engine, session_id)
    response.delete_cookie(
        settings.session_cookie_name, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/"
    )


class SessionInfo:
    def __init__(self, person: Person, session_id: str):
        self.person, self.session_id = person, session_id


def read_session(request: Request, settings: ApiSettings) -> SessionInfo:
    token = request.cookies.get(settings.session_cookie_name)
    if not token:
        raise ApiProblem(
            "authentication-required",
            "log in first (POST /v1/auth/login): the session cookie is missing",
            field=settings.session_cookie_name,
            rule="required",
        )
    person = users.person_of_session(get_engine_for(settings_for(request)), token)
    if person is None:
        raise ApiProblem(
            "authentication-required",
            "the session has ended (logout, password change, expiry) or its cookie is not valid; log in again",
            field=settings.session_cookie_name,
            rule="valid_session",
        )
    return SessionInfo(person, token)


async def check_csrf(request: Request, settings: ApiSettings, session_id: str) -> None:
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith("application/x-www-form-urlencoded"):
        posted = parse_qs((await request.body()).decode("utf-8", "replace")).get("csrf_token")
        sent = posted[0] if posted else None
    elif sent is None and content_type.startswith("multipart/form-data"):  # a file upload (the route reads the
        field = (await request.form()).get("csrf_token")  # same parsed form: Starlette keeps it on the request)
        sent = field if isinstance(field, str) else None
    if not sent or not tokens_match(sent, csrf_token(settings, session_id)):
        raise ApiProblem(
            "csrf-failed",
            "a state-changing request needs the session's CSRF token in the "
            "X-CSRF-Token header (or the csrf_token form field)",
            field=CSRF_HEADER,
            rule="matches_session",
        )


_cookie = APIKeyCookie(
    name="ledger_session",
    scheme_name="Session cookie",
    auto_error=False,
    description="Set by POST /v1/auth/login. State-changing requests also send X-CSRF-Token.",
)


async def current_session(request: Request, _: Annotated[str | None, Depends(_cookie)]) -> SessionInfo:
    mark_private(request)
    settings = settings_for(request).api
    session = await run_in_threadpool(read_session, request, settings)
    if request.method not in SAFE_METHODS:
        await check_csrf(request, settings, session.session_id)
    return session


def require_role(*roles: str):
    async def check(session: Annotated[SessionInfo, Depends(current_session)]) -> Person:
        if session.person.role not in roles:
            raise ApiProblem(
                "forbidden", f"this route is for {' or '.join(roles)} users, not {session.person.role}", rule="role"
            )
        return session.person

    return check


LoginSession = Annotated[SessionInfo, Depends(current_session)]
OfficeUser = Annotated[Person, Depends(require_role("office"))]
EnterpriseUser = Annotated[Person, Depends(require_role("enterprise"))]
RegulatorUser = Annotated[Person, Depends(require_role("regulator"))]
RegulatorOrOffice = Annotated[Person, Depends(require_role("office", "regulator"))]
