"""The FastAPI application: `uvicorn api.main:app`."""

from fastapi import FastAPI

from api.limits import BodySizeLimit
from api.openapi import install_openapi
from api.problems import install_problem_handlers
from api.routes import (approval, auth, commands, health, keys, me, metrics, office, problem_types, public, regulator, tax,
                        webhooks)
from ledger.core.errors import SettingsError
from ledger.core.settings import get_settings
from portal import mount_portal


def create_app() -> FastAPI:
    app = FastAPI(
        title="人防易地建设费与承诺制信用账本 API",
        summary="Civil-air-defence fee collection and commitment ledger",
        description="System clients (tax, approval) sign every request with Ed25519 and send an "
                    "Idempotency-Key with every POST; people log in for a session cookie. Errors are "
                    "RFC 9457 problems (application/problem+json) naming the field and the rule. "
                    "See README, \"Calling the API\".",
        version="0.1.0",
    )
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=get_settings().api.max_body_bytes)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(public.router)  # first: the public's routes take most of the traffic, and routes match in order
    for module in (approval, tax, commands, office, me, regulator, auth, keys, problem_types, webhooks):
        app.include_router(module.router)
    app.include_router(webhooks.office_router)
    app.webhooks.include_router(webhooks.notices)  # documented under the OpenAPI document's `webhooks`
    mount_portal(app)
    install_openapi(app)
    return app


try:
    app = create_app()
except SettingsError as exc:  # one line naming the variable, where uvicorn would print a traceback
    raise SystemExit(f"error: {exc}") from None
