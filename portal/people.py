"""People on the portal: log in and out (the API's session cookie and CSRF token, web.kit.sessions),
and the page dependencies that check who is asking: anonymous → the login page, the wrong role → a
403 page. Ownership (an enterprise sees only its own) is the workspace's: every read is bound to the
session's USCC."""

import secrets
from typing import Annotated
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from ledger.access.users import Person, authenticate
from portal.pages import PageError, render
from web.kit.deps import get_engine_for, settings_for
from web.kit.problems import ApiProblem
from web.kit.sessions import check_csrf, csrf_token, end_session, issue_session, read_session

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

    def __init__(self, person: Person, csrf: str):
        self.person, self.csrf = person, csrf
        self.role_name = ROLE_NAME.get(person.role, person.role)


async def page_person(request: Request) -> PagePerson:
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
    return PagePerson(session.person, csrf_token(settings, session.session_id))


async def person_or_none(request: Request) -> PagePerson | None:
    """Who is logged in, if anyone: for pages any visitor sees (the error pages' header)."""
    settings = settings_for(request).api
    try:
        session = await run_in_threadpool(read_session, request, settings)
    except ApiProblem:
        return None
    return PagePerson(session.person, csrf_token(settings, session.session_id))


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
):
    nonce = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        status_code=status_code,
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
    if not nonce or not secrets.compare_digest(form.get("csrf_token", ""), csrf_token(settings, "login:" + nonce)):
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
    person = await run_in_threadpool(authenticate, engine, username=username, password=password)
    if person is None:  # never say which of the two was wrong
        return _login_form(
            request, status_code=401, username=username, next_path=next_path, error="用户名或密码不正确。"
        )
    target = next_path or str(request.url_for(HOME_OF_ROLE.get(person.role, "home")).path)
    response = RedirectResponse(target, status_code=303)
    issue_session(response, person, settings)
    response.delete_cookie(LOGIN_NONCE_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout_submit(request: Request, who: Annotated[PagePerson, Depends(page_person)]):
    response = RedirectResponse(request.url_for("login_page").path, status_code=303)
    end_session(response, settings_for(request).api)
    return response


def login_redirect(request: Request, exc: LoginRequired):
    return RedirectResponse(
        f"{request.url_for('login_page').path}?{urlencode({'next': exc.next_path})}", status_code=303
    )
