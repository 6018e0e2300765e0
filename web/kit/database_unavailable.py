"""While PostgreSQL is away (restarted, failed over, out of connections) a request answers
503 `database-unavailable` with Retry-After, not the generic 500: nothing was recorded for it,
and the same request with the same Idempotency-Key may be sent again once the database is back.

Which errors count: the same as the indexer's (ledger.indexer.loop), a lost or refused connection
(OperationalError, InterfaceError, or any DBAPI error that invalidated its connection) and a pool
with no connection to give (TimeoutError). Other SQL errors are defects and stay a 500.
"""

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from web.kit.problems import PROBLEM_TYPES, ProblemType, problem_of_exception, problem_response

log = logging.getLogger(__name__)
SLUG = "database-unavailable"
RETRY_AFTER_SECONDS = 2
DATABASE_UNAVAILABLE = ProblemType(
    503,
    "Database unavailable",
    "The database did not answer (it is restarting or unreachable); nothing was recorded for this request. "
    "Send it again with the same Idempotency-Key after the Retry-After seconds.",
    f"the database is unavailable; retry after {RETRY_AFTER_SECONDS} s",
    None,
    "database_available",
)


def is_database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and (
        exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError))
    )


def problem_of(request: Request, exc: Exception) -> JSONResponse:
    """problem_of_exception, with a lost database answered 503 (for callers that build the answer themselves,
    such as the idempotent route wrapper)."""
    if not is_database_unavailable(exc):
        return problem_of_exception(request, exc)
    # One line, no traceback: the cause is outside this process. The driver's message names host and port only.
    first_line = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0][:200]
    log.warning(
        "database unavailable on %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, first_line
    )
    return problem_response(
        request,
        slug=SLUG,
        status=DATABASE_UNAVAILABLE.status,
        detail=DATABASE_UNAVAILABLE.example_detail,
        rule="database_available",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def install_database_unavailable_handler(app: FastAPI) -> None:
    """Answer a lost database with 503; the problem type joins the catalogue served at /problems."""
    PROBLEM_TYPES.setdefault(SLUG, DATABASE_UNAVAILABLE)
    for kind in (DBAPIError, PoolTimeout):
        app.add_exception_handler(kind, problem_of)
