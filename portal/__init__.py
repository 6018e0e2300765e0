"""The portal: server-rendered pages (Jinja2), zh-CN, mobile first, no build step.

`mount_portal(app)` adds the public pages, the people's pages (login, the enterprise workspace, the
regulator's dashboard, the office workspace) and /static to the FastAPI app (api/main.py).
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import FileResponse

STATIC = Path(__file__).resolve().parent / "static"
# ECharts, pinned in hardhat-local/package.json (installed by `make install`), served as is: no build step.
ECHARTS = Path(__file__).resolve().parent.parent / "hardhat-local" / "node_modules" / "echarts" / "dist" / "echarts.min.js"


def mount_portal(app: FastAPI) -> None:
    # Imported here: the pages use api's dependencies, and api.main imports this package.
    from portal import office_pages, people, public_pages, regulator_pages, workspace_pages
    from portal.pages import install_page_errors

    app.include_router(public_pages.router)
    for router in (people.router, workspace_pages.router, regulator_pages.router, office_pages.router):
        app.include_router(router)

    @app.get("/vendor/echarts.min.js", include_in_schema=False)
    def echarts() -> FileResponse:
        return FileResponse(ECHARTS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_page_errors(app)
    app.add_exception_handler(people.LoginRequired, people.login_redirect)
