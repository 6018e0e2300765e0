"""Who may call each route of the app, declared in one table keyed by (method, path) as the route
table spells them (OWASP API1 object-level, API5 function-level authorisation; API4 limits).

This is a declaration, not the enforcement: the routes' own dependencies enforce it (api.security for
the signed system clients, web.kit.sessions and portal.people for people). The authorisation matrix,
tests/web/test_authorization_matrix.py, sends every route a request as every kind of caller (and, where
the path names an object with an owner, for the caller's own object and for another's) and compares
each answer with this table; a route missing here fails that test by name. A new route: add its line.

What the test takes as the answer to each kind of caller:
* allowed: anything but 401, 403 or the portal's redirect to /login (nor a 500);
* refused: 401 (no or a bad credential: a signed route called without a signature, a person's route
  without a session), 403 (the wrong role); a page sends the anonymous to /login and shows a person of
  the wrong role its 403 page;
* another's object (`owner`): 404, exactly as an object that does not exist, never a hint that it does;
  office staff and the regulator, where allowed, read any owner's object.
"""

from dataclasses import dataclass
from typing import Final, Literal

ANONYMOUS = "anonymous"
CLIENT_ROLES = ("tax", "approval")  # ledger.db.access_model.CLIENT_ROLES: systems that sign requests
USER_ROLES = ("office", "regulator", "enterprise")  # ledger.db.access_model.USER_ROLES: people, with a session
CALLERS = (ANONYMOUS, *CLIENT_ROLES, *USER_ROLES)

# The rate limits that answer 429 (web.kit.throttle: requests per client address within a moving
# window; web.kit.login_throttle: failed logins per account and per address).
PER_ADDRESS: Final = "per_address"
LOGIN_FAILURES: Final = "login_failures"
RateLimit = Literal["per_address", "login_failures"]


@dataclass(frozen=True)
class Unlimited:
    """No limit of this kind, and why none is needed."""

    why: str


@dataclass(frozen=True)
class Rule:
    callers: frozenset[str]
    # The path parameter naming an object the caller must own (a system client's command or webhook
    # endpoint, an enterprise's project, evidence or document); another owner's object answers 404. Only
    # system clients and enterprises own objects: office staff and the regulator, where the route allows
    # them, read every owner's.
    owner: str | None = None
    # A route answering a list: the largest `limit` it accepts (more is 422 naming `limit`), or why
    # its list needs none.
    page: int | Unlimited | None = None
    # A route anyone may call: the rate limit that answers it 429, or why it has none.
    throttle: RateLimit | Unlimited | None = None


def anyone(throttle: RateLimit | Unlimited, **more) -> Rule:
    return Rule(frozenset(CALLERS), throttle=throttle, **more)


def only(*callers: str, **more) -> Rule:
    if unknown := set(callers) - set(CALLERS):
        raise ValueError(f"unknown callers {sorted(unknown)}: each must be one of {CALLERS}")
    return Rule(frozenset(callers), **more)


PUBLIC = anyone(PER_ADDRESS)
PEOPLE = only(*USER_ROLES)
CLIENTS = only(*CLIENT_ROLES)
TAX, APPROVAL = only("tax"), only("approval")
OFFICE, REGULATOR, ENTERPRISE = only("office"), only("regulator"), only("enterprise")
PROBE = anyone(Unlimited("one cheap read for monitoring, holding no one's data"))
DOCUMENT = anyone(Unlimited("a static document"))
OWN_LIST = only("enterprise", page=Unlimited("one enterprise's own records, bound to the session's USCC"))

RULES: dict[tuple[str, str], Rule] = {
    # --- health, documents -------------------------------------------------------------------------
    ("GET", "/health"): PROBE,
    ("GET", "/metrics"): PROBE,
    ("GET", "/openapi.json"): DOCUMENT,
    ("GET", "/docs"): DOCUMENT,
    ("GET", "/docs/oauth2-redirect"): DOCUMENT,
    ("GET", "/redoc"): DOCUMENT,
    ("GET", "/problems"): anyone(Unlimited("a static document"), page=Unlimited("the fixed list of problem types")),
    ("GET", "/problems/{slug}"): DOCUMENT,
    ("GET", "/v1/public/keys/webhook"): DOCUMENT,
    # --- the public API (masked, every figure with its proof) ----------------------------------------
    ("GET", "/v1/public/projects/{project_code}"): PUBLIC,
    ("GET", "/v1/public/projects/{project_code}/commitments"): anyone(PER_ADDRESS, page=100),
    ("GET", "/v1/public/projects/{project_code}/payments"): anyone(PER_ADDRESS, page=100),
    ("GET", "/v1/public/receipts/{voucher_number}"): PUBLIC,
    ("GET", "/v1/public/receipts/{voucher_number}/chain-check"): PUBLIC,
    ("GET", "/v1/public/inspections"): anyone(PER_ADDRESS, page=Unlimited("a few draws a quarter; not paged yet")),
    ("GET", "/v1/public/inspections/{draw}"): PUBLIC,
    ("GET", "/v1/public/inspections/{draw}/pools"): PUBLIC,
    # --- the approval system ---------------------------------------------------------------------------
    ("POST", "/v1/approval/projects"): APPROVAL,
    ("GET", "/v1/approval/projects/{project_code}"): APPROVAL,
    ("POST", "/v1/approval/commitments"): APPROVAL,
    ("POST", "/v1/approval/commitments/batch"): APPROVAL,
    ("POST", "/v1/approval/acceptance"): APPROVAL,
    ("GET", "/v1/approval/projects/{project_code}/clearance"): APPROVAL,
    # --- the tax system --------------------------------------------------------------------------------
    ("GET", "/v1/tax/levies"): only("tax", page=500),
    ("POST", "/v1/tax/payments"): TAX,
    ("POST", "/v1/tax/payments/batch"): TAX,
    ("POST", "/v1/tax/refunds"): TAX,
    ("GET", "/v1/tax/statements/{day}"): only("tax", page=Unlimited("one day's payments, for reconciliation")),
    ("POST", "/v1/tax/reconciliations"): TAX,
    # --- both systems: their own commands and webhook endpoints ------------------------------------
    ("GET", "/v1/commands/{command_id}"): only(*CLIENT_ROLES, owner="command_id"),
    ("POST", "/v1/webhooks"): CLIENTS,
    ("GET", "/v1/webhooks"): only(*CLIENT_ROLES, page=Unlimited("one client's own endpoints")),
    ("GET", "/v1/webhooks/{endpoint_id}"): only(*CLIENT_ROLES, owner="endpoint_id"),
    ("POST", "/v1/webhooks/{endpoint_id}/enable"): only(*CLIENT_ROLES, owner="endpoint_id"),
    ("DELETE", "/v1/webhooks/{endpoint_id}"): only(*CLIENT_ROLES, owner="endpoint_id"),
    # --- office staff (API) ----------------------------------------------------------------------------
    ("POST", "/v1/office/assessments"): OFFICE,
    ("POST", "/v1/office/adjustments"): OFFICE,
    ("POST", "/v1/office/commitments/{commitment_number}/decisions"): OFFICE,
    ("GET", "/v1/office/projects/{project_code}"): OFFICE,
    ("GET", "/v1/office/projects/{project_code}/clearance"): OFFICE,
    ("GET", "/v1/office/commands/{command_id}"): OFFICE,
    # random inspections (双随机、一公开): the office commits, reveals and records outcomes
    ("POST", "/v1/office/draws"): OFFICE,
    ("GET", "/v1/office/draws"): only("office", page=Unlimited("the office's draws: a few a quarter, newest 100")),
    ("POST", "/v1/office/draws/{draw_number}/reveal"): OFFICE,
    ("POST", "/v1/office/draws/{draw_number}/recommit"): OFFICE,
    ("POST", "/v1/office/draws/{draw_number}/outcomes"): OFFICE,
    ("GET", "/v1/office/webhooks"): only("office", page=Unlimited("the subscribers' endpoints: a handful")),
    ("GET", "/v1/office/credit-pushes"): only("office", page=500),
    ("GET", "/v1/office/credit-pushes/{event_id}/attempts"): only(
        "office", page=Unlimited("one push's attempts: the retries' back-off keeps them few")
    ),
    ("POST", "/v1/office/credit-pushes/{event_id}/redeliver"): OFFICE,
    # --- an enterprise's own records (API) -------------------------------------------------------------
    ("GET", "/v1/me/projects"): OWN_LIST,
    ("GET", "/v1/me/levies"): OWN_LIST,
    ("GET", "/v1/me/payments"): OWN_LIST,
    ("GET", "/v1/me/commitments"): OWN_LIST,
    ("GET", "/v1/me/credit"): ENTERPRISE,
    # --- the regulator (API, read-only) ----------------------------------------------------------------
    ("GET", "/v1/regulator/rule-set"): REGULATOR,
    ("GET", "/v1/regulator/enterprises"): only("regulator", page=500),
    ("GET", "/v1/regulator/enterprises/{enterprise}"): REGULATOR,
    ("GET", "/v1/regulator/credit-events"): only("regulator", page=Unlimited("an export of at most 366 days")),
    ("GET", "/v1/regulator/commitments"): only("regulator", page=500),
    ("GET", "/v1/regulator/projects/{project_code}/money-trail"): REGULATOR,
    # --- sessions (API) --------------------------------------------------------------------------------
    ("POST", "/v1/auth/login"): anyone(LOGIN_FAILURES),
    ("GET", "/v1/auth/session"): PEOPLE,
    ("POST", "/v1/auth/logout"): PEOPLE,
    # --- public pages ----------------------------------------------------------------------------------
    ("GET", "/"): PUBLIC,
    ("GET", "/inquiry"): PUBLIC,
    ("GET", "/projects/{project_code}"): PUBLIC,
    ("GET", "/verify"): PUBLIC,
    ("GET", "/receipts/{voucher_number:path}"): PUBLIC,
    ("GET", "/receipt-pdf/{voucher_number:path}"): PUBLIC,
    ("GET", "/estimate"): PUBLIC,
    ("GET", "/guide"): PUBLIC,
    ("GET", "/inspections"): PUBLIC,
    ("GET", "/tickets/new"): PUBLIC,
    ("POST", "/tickets/new"): PUBLIC,
    ("GET", "/tickets/follow"): PUBLIC,
    ("POST", "/tickets/follow"): PUBLIC,
    ("POST", "/tickets/rate"): PUBLIC,
    ("GET", "/faq"): PUBLIC,
    ("GET", "/announcements"): PUBLIC,
    ("GET", "/announcements.atom"): PUBLIC,
    ("GET", "/announcements/{announcement_id}"): PUBLIC,
    ("GET", "/login"): anyone(Unlimited("the empty form")),
    ("POST", "/login"): anyone(LOGIN_FAILURES),
    ("POST", "/logout"): PEOPLE,
    # --- the enterprise workspace ----------------------------------------------------------------------
    ("GET", "/workspace"): ENTERPRISE,
    ("GET", "/workspace/projects/{project_code}"): only("enterprise", owner="project_code"),
    ("GET", "/workspace/credit"): ENTERPRISE,
    ("GET", "/workspace/notices"): ENTERPRISE,
    # evidence for its own commitment; another's answers 404 (tests/portal/test_evidence_pages.py)
    ("GET", "/workspace/commitments/{commitment_number:path}/evidence"): only("enterprise", owner="commitment_number"),
    ("POST", "/workspace/commitments/{commitment_number:path}/evidence"): only("enterprise", owner="commitment_number"),
    # a submission's status: of the enterprise's own commitment (the path's commitment and submission are its)
    ("GET", "/workspace/commitments/{commitment_number:path}/evidence/{submission_id}/status"): only(
        "enterprise", owner="submission_id"
    ),
    # a credit repair application for its own breached commitment (tests/portal/test_repair_pages.py)
    ("POST", "/workspace/commitments/{commitment_number:path}/repair"): only("enterprise", owner="commitment_number"),
    # a stored evidence or remedy file: the enterprise that submitted it (another's: 404), office staff and the
    # regulator any (tests/web/test_authorization_matrix.py)
    ("GET", "/documents/{digest}"): only("enterprise", "office", "regulator", owner="digest"),
    # --- the regulator's pages ---------------------------------------------------------------------------
    ("GET", "/regulator"): REGULATOR,
    ("GET", "/regulator/tickets"): REGULATOR,
    ("GET", "/regulator/enterprises/{enterprise}"): REGULATOR,
    ("GET", "/regulator/commitments"): REGULATOR,
    ("GET", "/regulator/money-trail"): REGULATOR,
    ("GET", "/regulator/projects/{project_code}/money-trail"): REGULATOR,
    ("GET", "/regulator/enterprises.csv"): REGULATOR,
    ("GET", "/regulator/enterprises.xlsx"): REGULATOR,
    ("GET", "/regulator/commitments.csv"): REGULATOR,
    ("GET", "/regulator/commitments.xlsx"): REGULATOR,
    ("GET", "/regulator/reconciliation"): REGULATOR,
    ("POST", "/regulator/reconciliation"): REGULATOR,
    ("GET", "/regulator/reconciliation.csv"): REGULATOR,
    ("GET", "/regulator/reconciliation.xlsx"): REGULATOR,
    # --- the office's pages ------------------------------------------------------------------------------
    ("GET", "/office"): OFFICE,
    ("GET", "/office/queue"): OFFICE,
    ("GET", "/office/tickets"): OFFICE,
    ("GET", "/office/tickets/{number}"): OFFICE,
    ("POST", "/office/tickets/{number}/answer"): OFFICE,
    ("POST", "/office/tickets/{number}/faq"): OFFICE,
    ("GET", "/office/assess"): OFFICE,
    ("POST", "/office/assess"): OFFICE,
    ("GET", "/office/adjust"): OFFICE,
    ("POST", "/office/adjust"): OFFICE,
    ("GET", "/office/approvals/{approval_id}"): OFFICE,
    ("POST", "/office/approvals/{approval_id}"): OFFICE,
    ("POST", "/office/approvals/{approval_id}/decline"): OFFICE,
    ("GET", "/office/evidence/{submission_id}"): OFFICE,
    ("POST", "/office/evidence/{submission_id}/accept"): OFFICE,
    ("POST", "/office/evidence/{submission_id}/reject"): OFFICE,
    ("GET", "/office/repairs/{application_id}"): OFFICE,
    ("POST", "/office/repairs/{application_id}/publish"): OFFICE,
    ("POST", "/office/repairs/{application_id}/approve"): OFFICE,
    ("POST", "/office/repairs/{application_id}/reject"): OFFICE,
    ("GET", "/office/commitments/{commitment_number}/decide"): OFFICE,
    ("POST", "/office/commitments/{commitment_number}/decide"): OFFICE,
    ("GET", "/office/draws"): OFFICE,  # random inspections: list, commit, reveal, outcomes (portal.draw_pages)
    ("POST", "/office/draws"): OFFICE,
    ("GET", "/office/draws/{draw_number}"): OFFICE,
    ("POST", "/office/draws/{draw_number}/reveal"): OFFICE,
    ("POST", "/office/draws/{draw_number}/recommit"): OFFICE,
    ("POST", "/office/draws/{draw_number}/outcomes"): OFFICE,
    ("GET", "/office/commands/{command_id}"): OFFICE,
    ("GET", "/office/commands/{command_id}/status"): OFFICE,
}
