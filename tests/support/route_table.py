"""The app's route table as the authorisation matrix and the API4 limit tests walk it."""

import re

from fastapi.routing import APIRoute
from starlette.routing import Route

from ledger.core.settings import Settings
from web.app import create_app

# As the app builds it: building it touches no database.
ROUTE_TABLE = create_app(Settings(database={"url": "sqlite://"})).routes
PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")  # a path parameter, {name} or {name:convertor}


def routes() -> list[tuple[str, str]]:
    """(method, path) of every route, page and document the app serves (HEAD is GET's), sorted."""
    return sorted(
        (method, route.path)
        for route in ROUTE_TABLE
        if isinstance(route, Route)  # an APIRoute, a page, or a document such as /openapi.json
        for method in (route.methods or ()) - {"HEAD"}
    )


def is_page(path: str) -> bool:
    """A page (people in a browser): it answers a refusal with a redirect to /login or the 403 page."""
    route = next(r for r in ROUTE_TABLE if isinstance(r, Route) and r.path == path)
    return isinstance(route, APIRoute) and not route.include_in_schema
