"""The JSON API's part of the app (web.app assembles it with the pages): its routers, the notices
documented under the OpenAPI document's `webhooks`, and that document."""

from fastapi import FastAPI

from api.openapi import install_openapi
from api.routes import (
    approval,
    auth,
    commands,
    credit_sharing,
    health,
    me,
    metrics,
    office,
    office_draws,
    platform_keys,
    problem_types,
    public_inquiry,
    public_inspections,
    regulator,
    tax,
    webhooks,
)


def mount_api(app: FastAPI) -> None:
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(public_inquiry.router)  # first: the most traffic, and routes match in order
    app.include_router(public_inspections.router)
    for module in (approval, tax, commands, office, me, regulator, auth, platform_keys, problem_types, webhooks):
        app.include_router(module.router)
    app.include_router(office_draws.router)  # the office's random inspections (双随机、一公开)
    app.include_router(webhooks.office_router)
    app.include_router(credit_sharing.router)
    app.webhooks.include_router(webhooks.notices)  # documented under the OpenAPI document's `webhooks`
    install_openapi(app)
