"""The portal's part of the app (web.app assembles it with the JSON API): the pages and /static."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from portal import (
    announcement_pages,
    draw_pages,
    evidence_pages,
    guide_pages,
    inspection_pages,
    notice_pages,
    office_pages,
    people,
    public_pages,
    regulator_pages,
    repair_pages,
    ticket_desk_pages,
    ticket_pages,
    workspace_pages,
)
from portal.error_pages import install_page_errors

# Also ECharts, in static/vendor/: vendored from the npm package hardhat-local/package.json pins
# (hardhat-local/vendor.js, `make vendor`), so the portal needs no node_modules and no build step.
STATIC = Path(__file__).resolve().parent / "static"


def mount_portal(app: FastAPI) -> None:
    app.include_router(public_pages.router)
    app.include_router(guide_pages.router)
    app.include_router(ticket_pages.router)
    app.include_router(ticket_desk_pages.office_router)  # before /office's own routes
    app.include_router(ticket_desk_pages.regulator_router)
    for router in (
        announcement_pages.router,
        inspection_pages.router,
        people.router,
        workspace_pages.router,
        evidence_pages.router,
        repair_pages.router,
        notice_pages.router,
        regulator_pages.router,
        draw_pages.router,
        office_pages.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_page_errors(app)
    app.exception_handler(people.LoginRequired)(people.login_redirect)
