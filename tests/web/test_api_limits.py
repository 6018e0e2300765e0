"""OWASP API4, read from the same table as the authorisation matrix (web/access_rules.py): every route
that takes a body refuses one over LEDGER_API_MAX_BODY_BYTES with 413 before any route runs, and every
route anyone may call is rate-limited (429 with Retry-After) or says why it needs no limit. (The size of
a page is checked in test_authorization_matrix.py, which has callers for every route.)"""

import re

import pytest
from fastapi.testclient import TestClient

from tests.support.route_table import PARAMETER, is_page, routes
from tests.web.conftest import WRONG, api_login, page_login
from web.access_rules import ANONYMOUS, LOGIN_FAILURES, PER_ADDRESS, RULES, Unlimited
from ledger.core.settings import Settings
from portal.evidence_pages import upload_allowance
from web.app import create_app

MAX_BODY = 1024  # the smallest LEDGER_API_MAX_BODY_BYTES allowed
BURST = 2
# Path parameters of the routes anyone may call: anything well formed (an unknown object is a 404).
SAMPLES = {"project_code": "2026-410105-70-01-999999", "voucher_number": "332026999999999999"}
SAMPLES |= {"announcement_id": "unknown", "draw": "0x" + "ab" * 32, "event_id": "31337-999999-0-breached"}

WITH_BODY = [(method, path) for method, path in routes() if method in {"POST", "PUT", "PATCH", "DELETE"}]
PUBLIC = [(m, p) for (m, p), rule in sorted(RULES.items()) if ANONYMOUS in rule.callers]
THROTTLED = [(m, p) for m, p in PUBLIC if RULES[(m, p)].throttle == PER_ADDRESS]
LOGINS = [(m, p) for m, p in PUBLIC if RULES[(m, p)].throttle == LOGIN_FAILURES]


def target_of(path: str) -> str:
    return PARAMETER.sub(lambda m: SAMPLES.get(m.group(1), "1"), path)


@pytest.fixture(scope="module")
def small_limits(site):
    """The app with the smallest body limit and a burst of BURST public requests per address within a
    window of minutes, counted in Redis under a prefix of its own."""
    return create_app(site.settings(max_body_bytes=MAX_BODY, public_burst=BURST, public_rate_per_second=0.01))


@pytest.mark.parametrize(("method", "path"), WITH_BODY, ids=[f"{m} {p}" for m, p in WITH_BODY])
def test_a_body_over_the_limit_is_refused_with_413_naming_the_body_before_any_route_runs(small_limits, method, path):
    # the evidence upload has its own, larger allowance (the file's limit and the form around it)
    allowances = upload_allowance(Settings().documents.max_bytes).items()
    limit = next((most for pattern, most in allowances if re.fullmatch(pattern, target_of(path))), MAX_BODY)
    with TestClient(small_limits, follow_redirects=False) as client:
        response = client.request(
            method, target_of(path), content=b"a" * (limit + 1), headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.json()["field"], response.json()["rule"]) == ("body", "max_bytes")


def test_every_route_anyone_may_call_is_rate_limited_or_says_why_not():
    undeclared = [f"{m} {p}" for m, p in PUBLIC if RULES[(m, p)].throttle is None]
    assert undeclared == [], f"declare throttle= in web/access_rules.py: {undeclared}"
    unexplained = [route for route in PUBLIC if RULES[route].throttle == Unlimited("")]
    assert unexplained == [], f"say why these need no rate limit: {unexplained}"


@pytest.mark.parametrize(("method", "path"), THROTTLED, ids=[f"{m} {p}" for m, p in THROTTLED])
def test_an_address_over_the_public_limit_gets_429_with_retry_after(small_limits, method, path):
    address = f"10.0.{THROTTLED.index((method, path)) // 250}.{THROTTLED.index((method, path)) % 250 + 1}"
    with TestClient(small_limits, follow_redirects=False, client=(address, 50000)) as client:
        answers = [client.request(method, target_of(path)) for _ in range(BURST + 1)]
    assert [a.status_code == 429 for a in answers] == [False] * BURST + [True], [a.status_code for a in answers]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 300


@pytest.mark.parametrize(("method", "path"), LOGINS, ids=[f"{m} {p}" for m, p in LOGINS])
def test_failed_logins_over_the_account_s_limit_get_429_with_retry_after(site, method, path):
    wrong_login = page_login if is_page(path) else api_login
    with site.client(site.settings(login_failures_per_account=2)) as client:
        answers = [wrong_login(client, "site-ent", WRONG) for _ in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 429], [a.text[:200] for a in answers]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 900
