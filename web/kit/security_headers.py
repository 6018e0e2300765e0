"""Security headers on every response — pages, API, static files, errors — and `Cache-Control: no-store`
on every private one (a request that `mark_private` marked: a session's, a signed client's, the login's).

Content-Security-Policy allows this site only, and no inline script (the portal's scripts are static
files; data reaches them in `<script type="application/json">` blocks). Styles may be inline: ECharts
writes its tooltips with style attributes. FastAPI's /docs and /redoc load Swagger UI and ReDoc from
their CDN: those pages get a policy of their own.

Starlette's ServerErrorMiddleware sits outside every middleware, so its 500 never passes through
this one: `install_security_headers` also wraps the app's Exception handler to add them there.
"""

import inspect

from fastapi import FastAPI, Request
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCS_PATHS = ("/docs", "/redoc")  # and /docs/oauth2-redirect
DOCS_CDN = "https://cdn.jsdelivr.net"


def _policy(*directives: str) -> str:
    return "; ".join(directives)


SITE_POLICY = _policy(
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
DOCS_POLICY = _policy(
    "default-src 'self'",
    f"script-src 'self' 'unsafe-inline' {DOCS_CDN}",
    f"style-src 'self' 'unsafe-inline' {DOCS_CDN} https://fonts.googleapis.com",
    "font-src 'self' https://fonts.gstatic.com",
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
COMMON = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def mark_private(request: Request) -> None:
    """This request's answer is for one person or client: no cache (the browser's back button included) keeps it."""
    request.state.private = True


def add_security_headers(headers: MutableHeaders, path: str, *, private: bool) -> None:
    policy = DOCS_POLICY if path.startswith(DOCS_PATHS) else SITE_POLICY
    for name, value in {**COMMON, "Content-Security-Policy": policy}.items():
        headers.setdefault(name, value)
    if private:
        headers["Cache-Control"] = "no-store"


class SecurityHeaders:
    """Pure ASGI middleware: the headers go on at http.response.start, whatever the response type."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})  # the dict request.state writes to

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                add_security_headers(headers, scope["path"], private=bool(state.get("private")))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI) -> None:
    """After install_problem_handlers: the middleware, and the same headers on the 500 handler's answer."""
    app.add_middleware(SecurityHeaders)
    handle_500 = app.exception_handlers[Exception]

    async def with_headers(request: Request, exc: Exception) -> Response:
        response = handle_500(request, exc)
        if inspect.isawaitable(response):
            response = await response
        add_security_headers(response.headers, request.url.path, private=bool(getattr(request.state, "private", False)))
        return response

    app.exception_handlers[Exception] = with_headers
