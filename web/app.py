"""The one composition root: `uvicorn --factory web.app:create_app` serves the JSON API and the pages."""

from fastapi import FastAPI
from starlette.middleware.trustedhost import TrustedHostMiddleware

from api.limits import BodySizeLimit
from api.mount import mount_api
from api.schema_check import RequireCurrentSchema
from ledger.core.errors import SettingsError
from ledger.core.settings import Settings, get_settings
from portal.evidence_pages import upload_allowance
from portal.mount import mount_portal
from portal.public_pages import require_public_address_in_production
from web.kit.database_unavailable import install_database_unavailable_handler
from web.kit.problems import install_problem_handlers
from web.kit.security_headers import install_security_headers
from web.kit.throttle import refuse_memory_storage_in_production


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app, with `settings` (default: from the environment) for every request it serves."""
    app = FastAPI(
        title="人防易地建设费与承诺制信用账本 API",
        summary="Civil-air-defence fee collection and commitment ledger",
        description="System clients (tax, approval) sign every request with Ed25519 and send an "
        "Idempotency-Key with every POST; people log in for a session cookie. Errors are "
        "RFC 9457 problems (application/problem+json) naming the field and the rule. "
        "See docs/integrators/.",
        version="0.1.0",
    )
    try:
        in_effect = settings or get_settings()
    except SettingsError as exc:  # one line naming the variable, where uvicorn would print a traceback
        raise SystemExit(f"error: {exc}") from None
    refuse_memory_storage_in_production(in_effect)
    require_public_address_in_production(in_effect)
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings
    install_problem_handlers(app)
    install_database_unavailable_handler(app)  # 503 + Retry-After while PostgreSQL is away
    app.add_middleware(
        BodySizeLimit,
        max_bytes=in_effect.api.max_body_bytes,
        larger=upload_allowance(in_effect.documents.max_bytes),  # the evidence upload
    )
    app.add_middleware(RequireCurrentSchema)  # refuses to start on a database not at the head revision
    mount_api(app)
    mount_portal(app)
    # A request for a Host we do not serve is refused (400) before any page builds a link from it.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=in_effect.api.allowed_host_names)
    install_security_headers(app)  # outermost of our middleware, after every handler is installed
    return app
