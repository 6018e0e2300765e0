"""The portal: server-rendered pages (Jinja2), zh-CN, mobile first, no build step.

`mount_portal(app)` adds the pages and /static to the FastAPI app (api/main.py).
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"


def mount_portal(app: FastAPI) -> None:
    # Imported here: the pages use api's dependencies, and api.main imports this package.
    from portal import public_pages
    from portal.pages import install_page_errors

    app.include_router(public_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_page_errors(app)
