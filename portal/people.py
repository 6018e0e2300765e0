"""People on the portal: log in and out (the API's session cookie and CSRF token, web.kit.sessions;
logins throttled as the API's, web.kit.login_throttle), and the page dependencies that check who is
asking: anonymous → the login page, the wrong role → a 403 page. Ownership (an enterprise sees only
its own) is the workspace's: every read is bound to the session's USCC."""

import math
import secrets
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from ledger.access.users import Person
from ledger.domain.common import SHANGHAI
from portal.pages import PageError, render
from web.kit.deps import get_engine_for, settings_for
from web.kit.login_throttle import LockedOut, log_in, login_limiter_of
from web.kit.problems import ApiProblem
from web.kit.security_headers import mark_private
from web.kit.sessions import check_csrf, csrf_token, end_session, issue_session, read_session, tokens_match
from web.kit.throttle import UNAVAILABLE_RETRY_SECONDS, ThrottleUnavailable, client_address

router = APIRouter(include_in_schema=False)

LOGIN_NONCE_COOKIE = "ledger_login_nonce"  # before a session exists, the login form's CSRF token is bound to this
HOME_OF_ROLE = {"enterprise": "workspace", "regulator": "regulator_home", "office": "office_home"}
ROLE_NAME = {"enterprise": "建设单位", "regulator": "监管、审计", "office": "人防办"}


class LoginRequired(Exception):
    """Anonymous (or an ended session) on a people's page: go to the login page, then come back."""

    def __init__(self, next_path: str):
        self.next_path = next_path


class PagePerson:
    """Who is on the page, and the CSRF token their forms carry."""

    def __init__(self, person: Person, csrf: str, session_id: str):
        self.person, self.csrf, self.session_id = person, csrf, session_id
        self.role_name = ROLE_NAME.get(person.role, person.role)


async def page_person(request: Request) -> PagePerson:
    mark_private(request)
    settings = settings_for(request).api
    try:
        session = await run_in_threadpool(read_session, request, settings)
    except ApiProblem:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else "")) from None
    if request.method != "GET":
        try:
            await check_csrf(request, settings, session.session_id)
        except ApiProblem:
            raise PageError(403, "页面已过期", "表单校验码不符（csrf_token）。请返回上一页刷新后重试。") from None
    return PagePerson(session.person, csrf_token(settings, session.session_id), session.session_id)


async def person_or_none(request: Request) -> PagePerson | None:
    """Who is logged in, if anyone: for pages any visitor sees (the error pages' header)."""
    settings = settings_for(request).api
    try:
        session = await run_in_threadpool(read_session, request, settings)
    except ApiProblem:
        return None
    mark_private(request)  # the page now names who is logged in
    return PagePerson(session.person, csrf_token(settings, session.session_id), session.session_id)


def role(*roles: str):
    """A page for these roles only: anyone else logged in gets the 403 page."""

    async def check(who: Annotated[PagePerson, Depends(page_person)]) -> PagePerson:
        if who.person.role not in roles:
            raise PageError(
                403,
                "无权访问",
                f"本页面仅供{'、'.join(ROLE_NAME[r] for r in roles)}用户使用；您以{who.role_name}用户登录。",
            )
        return who

    return check


EnterprisePage = Annotated[PagePerson, Depends(role("enterprise"))]
RegulatorPage = Annotated[PagePerson, Depends(role("regulator"))]
OfficePage = Annotated[PagePerson, Depends(role("office"))]


def _safe_next(value: str | None) -> str | None:
    """Only a path on this site (never //host or a scheme): no open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


def _login_form(
    request: Request,
    *,
    status_code: int = 200,
    error: str | None = None,
    username: str = "",
    next_path: str | None = None,
    headers: dict[str, str] | None = None,
):
    mark_private(request)  # it carries a CSRF token
    nonce = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        status_code=status_code,
        headers=headers,
        error=error,
        username=username,
        next_path=next_path or "",
        csrf=csrf_token(settings_for(request).api, "login:" + nonce),
    )
    response.set_cookie(
        LOGIN_NONCE_COOKIE,
        nonce,
        httponly=True,
        samesite="strict",
        path="/login",
        secure=settings_for(request).api.secure_cookies,
        max_age=3600,
    )
    return response


@router.get("/login")
async def login_page(request: Request, next: str | None = None):
    return _login_form(request, next_path=_safe_next(next))


@router.post("/login")
async def login_submit(request: Request):
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    username, password = form.get("username", "").strip(), form.get("password", "")
    next_path = _safe_next(form.get("next"))
    settings = settings_for(request).api
    nonce = request.cookies.get(LOGIN_NONCE_COOKIE, "")
    if not nonce or not tokens_match(form.get("csrf_token", ""), csrf_token(settings, "login:" + nonce)):
        return _login_form(
            request,
            status_code=403,
            username=username,
            next_path=next_path,
            error="登录表单已过期（csrf_token），请重新输入后提交。",
        )
    if not username or not password or len(username) > 64 or len(password) > 1024:
        return _login_form(
            request,
            status_code=422,
            username=username,
            next_path=next_path,
            error="请填写用户名（username）和密码（password）。",
        )
    engine = get_engine_for(settings_for(request))
    try:
        person = await run_in_threadpool(
            log_in,
            login_limiter_of(request),
            engine,
            settings,
            username=username,
            password=password,
            address=client_address(request),
        )
    except LockedOut as exc:
        return _login_form(
            request,
            status_code=429,
            username=username,
            next_path=next_path,
            error=_locked_out_notice(exc),
            headers={"Retry-After": str(exc.retry_after)},
        )
    except ThrottleUnavailable:
        return _login_form(
            request,
            status_code=503,
            username=username,
            next_path=next_path,
            error=f"登录服务暂时不可用，请 {UNAVAILABLE_RETRY_SECONDS} 秒后再试。",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)},
        )
    if person is None:  # never say which of the two was wrong
        return _login_form(
            request, status_code=401, username=username, next_path=next_path, error="用户名或密码不正确。"
        )
    target = next_path or str(request.url_for(HOME_OF_ROLE.get(person.role, "home")).path)
    response = RedirectResponse(target, status_code=303)
    await run_in_threadpool(issue_session, request, response, person, engine, settings)
    response.delete_cookie(LOGIN_NONCE_COOKIE, path="/login")
    return response


def _locked_out_notice(exc: LockedOut) -> str:
    """When to retry, in Beijing time and in minutes (the lock-out is not lifted by the right password)."""
    at = (datetime.now(SHANGHAI) + timedelta(seconds=exc.retry_after)).strftime("%H:%M")
    minutes = math.ceil(exc.retry_after / 60)
    who = "该账号" if exc.scope == "account" else "本地址"
    return f"登录失败次数过多，{who}已暂时锁定。请于 {at}（北京时间，约 {minutes} 分钟后）再试。"


@router.post("/logout")
async def logout_submit(request: Request, who: Annotated[PagePerson, Depends(page_person)]):
    """Ends the session server-side: a copy of its cookie opens nothing afterwards."""
    response = RedirectResponse(request.url_for("login_page").path, status_code=303)
    engine = get_engine_for(settings_for(request))
    await run_in_threadpool(end_session, response, engine, settings_for(request).api, who.session_id)
    return response


def login_redirect(request: Request, exc: LoginRequired):
    return RedirectResponse(
        f"{request.url_for('login_page').path}?{urlencode({'next': exc.next_path})}", status_code=303
    )
