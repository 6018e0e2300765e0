"""/v1/auth: people log in with a password and receive a session cookie and a CSRF token; logins are
throttled per account and per address (web.kit.login_throttle); logout ends the session server-side."""

from typing import Annotated

from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from web.kit.deps import EngineDep, SettingsDep
from web.kit.login_throttle import LockedOut, log_in, login_limiter_of
from web.kit.problems import ApiProblem, problem_responses
from web.kit.security_headers import mark_private
from web.kit.sessions import LoginSession, csrf_token, end_session, issue_session
from web.kit.throttle import UNAVAILABLE_RETRY_SECONDS, ThrottleUnavailable, client_address

router = APIRouter(prefix="/v1/auth", tags=["people"])


class Login(BaseModel):
    # Printable text only: a control character (NUL above all: PostgreSQL refuses it) names no one.
    username: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class SessionPublic(BaseModel):
    username: str
    display_name: str
    role: str
    uscc: str | None
    csrf_token: str  # send as X-CSRF-Token (or the csrf_token form field) on every state-changing request


EXAMPLE = {
    "username": "wang.office",
    "display_name": "王科长",
    "role": "office",
    "uscc": None,
    "csrf_token": "1f3870be274f6c49b3e31a0c6728957f1f3870be274f6c49b3e31a0c6728957f",
}


@router.post(
    "/login",
    response_model=SessionPublic,
    responses={
        200: {
            "description": "Logged in; the session cookie is set",
            "content": {"application/json": {"example": EXAMPLE}},
        },
        **problem_responses(
            "login-failed", "login-locked", "login-unavailable", "validation-failed", "payload-too-large"
        ),
    },
)
async def login(
    credentials: Annotated[
        Login,
        Body(openapi_examples={"default": {"value": {"username": "wang.office", "password": "correct horse battery"}}}),
    ],
    request: Request,
    response: Response,
    engine: EngineDep,
    settings: SettingsDep,
) -> SessionPublic:
    mark_private(request)
    try:
        person = await run_in_threadpool(
            log_in,
            login_limiter_of(request),
            engine,
            settings.api,
            username=credentials.username,
            password=credentials.password,
            address=client_address(request),
        )
    except LockedOut as exc:
        raise ApiProblem(
            "login-locked",
            f"too many failed logins for this {exc.scope}; it is locked, retry after {exc.retry_after} s",
            field="username" if exc.scope == "account" else "client_ip",
            rule="login_failures",
            headers={"Retry-After": str(exc.retry_after)},
        ) from None
    except ThrottleUnavailable:
        raise ApiProblem(
            "login-unavailable",
            f"logins cannot be counted right now, so none is accepted; retry after {UNAVAILABLE_RETRY_SECONDS} s",
            rule="throttle_available",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)},
        ) from None
    if person is None:
        raise ApiProblem("login-failed", "unknown user or wrong password", field="password", rule="matches")
    token = await run_in_threadpool(issue_session, request, response, person, engine, settings.api)
    return SessionPublic(
        username=person.username, display_name=person.display_name, role=person.role, uscc=person.uscc, csrf_token=token
    )


@router.get(
    "/session",
    response_model=SessionPublic,
    responses={
        200: {"description": "Who is logged in", "content": {"application/json": {"example": EXAMPLE}}},
        **problem_responses("authentication-required"),
    },
)
def session(current: LoginSession, settings: SettingsDep) -> SessionPublic:
    p = current.person
    return SessionPublic(
        username=p.username,
        display_name=p.display_name,
        role=p.role,
        uscc=p.uscc,
        csrf_token=csrf_token(settings.api, current.session_id),
    )


@router.post("/logout", status_code=204, responses=problem_responses("authentication-required", "csrf-failed"))
def logout(current: LoginSession, engine: EngineDep, settings: SettingsDep) -> Response:
    """Ends the session server-side: a copy of its cookie opens nothing afterwards."""
    response = Response(status_code=204)
    end_session(response, engine, settings.api, current.session_id)
    return response
