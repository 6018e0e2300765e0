"""Every /v1 route × every kind of caller, on the real servers (two uvicorn processes): only those its
rule in web/access_rules.py allows get through (401/403 otherwise), and an enterprise never reads
another's data. The whole matrix, pages and owners included, is tests/web/test_authorization_matrix.py."""

import datetime

import pytest
import requests
from fastapi.routing import APIRoute

from tests.api.conftest import USCC_A, USCC_B, open_levy, payment_for, project_body, project_code
from web.access_rules import CALLERS, RULES
from web.app import create_app

app = create_app()  # routes and OpenAPI document read in this process

SAMPLE_PARAMS = {
    "project_code": "2026-410105-70-01-999999",
    "command_id": "cmd_unknown",
    "day": "2026-11-29",
    "commitment_number": "CN-UNKNOWN",
    "enterprise": USCC_A,
    "voucher_number": "332026999999999999",
    "endpoint_id": "999999",
    "draw": "0x" + "ab" * 32,
    "event_id": "31337-999999-0-breached",
    "draw_number": "DRAW-UNKNOWN",
}


def v1_routes() -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in app.routes
        if isinstance(route, APIRoute) and route.path.startswith("/v1/")
        for method in route.methods
    )


@pytest.fixture(scope="module")
def callers(api):
    return {
        "anonymous": None,
        "tax": api.client("tax-bureau"),
        "approval": api.client("approval-bureau"),
        "office": api.login("office1"),
        "regulator": api.login("auditor1"),
        "enterprise": api.login("ent-a"),
    }


@pytest.mark.parametrize("caller", CALLERS)
def test_only_the_allowed_callers_get_through_on_every_route(api, callers, caller):
    wrong = []
    for method, template in v1_routes():
        path = template.format(**SAMPLE_PARAMS)
        if path == "/v1/auth/logout":
            continue  # would end the shared session; covered in test_sessions
        who = callers[caller]
        body = {} if method == "POST" else None
        if who is None:
            response = requests.request(method, api.url + path, json=body, timeout=30)
        elif isinstance(who, requests.Session):
            response = who.request(method, api.url + path, json=body, timeout=30)
        else:
            response = who.request(method, path, json=body)
        got_through = response.status_code not in (401, 403)
        if got_through != (caller in RULES[(method, template)].callers):
            wrong.append((method, template, response.status_code))
        if not got_through:
            assert response.headers["content-type"] == "application/problem+json", (method, path)
    assert wrong == [], f"{caller}: {wrong}"


def test_an_enterprise_sees_only_its_own_projects_levies_payments_and_commitments(api):
    levy_a = open_levy(api, USCC_A)
    levy_b = open_levy(api, USCC_B, district="410102")
    tax, approval = api.client("tax-bureau"), api.client("approval-bureau")
    due = (datetime.date.today() + datetime.timedelta(days=180)).isoformat()
    for levy in (levy_a, levy_b):
        tax.post("/v1/tax/payments", payment_for(levy))
        levy["commitment_number"] = f"CN-{levy['project_code']}"
        approval.post(
            "/v1/approval/commitments",
            {
                "commitment_number": levy["commitment_number"],
                "project_code": levy["project_code"],
                "enterprise_uscc": levy["payer_uscc"],
                "kind": "fee_payment",
                "due_date": due,
                "terms_sha256": "ab" * 32,
            },
        )
    for user, own, other in (("ent-a", levy_a, levy_b), ("ent-b", levy_b, levy_a)):
        session = api.login(user)
        seen = {
            name: session.get(f"{api.url}/v1/me/{name}", timeout=30).json()
            for name in ("projects", "levies", "payments", "commitments")
        }
        assert own["project_code"] in {p["project_code"] for p in seen["projects"]}
        assert own["levy_number"] in {lv["levy_number"] for lv in seen["levies"]}
        assert own["levy_number"] in {p["levy_number"] for p in seen["payments"]}
        assert isinstance(seen["commitments"], list), seen["commitments"]
        assert own["commitment_number"] in {c["commitment_number"] for c in seen["commitments"]}
        everything = str(seen)
        assert other["project_code"] not in everything and other["payer_uscc"] not in everything


def test_an_enterprise_cannot_reach_another_enterprises_project_through_office_or_system_routes(api):
    code = project_code()
    api.client("approval-bureau").post("/v1/approval/projects", project_body(code, USCC_B))
    session = api.login("ent-a")
    for path in (
        f"/v1/office/projects/{code}",
        f"/v1/approval/projects/{code}",
        f"/v1/office/projects/{code}/clearance",
    ):
        assert session.get(api.url + path, timeout=30).status_code in (401, 403)


def test_a_client_sees_only_the_commands_it_sent(api):
    code = project_code()
    approval = api.client("approval-bureau")
    approval.post("/v1/approval/projects", project_body(code))
    accepted = approval.post(
        "/v1/approval/commitments",
        {
            "commitment_number": f"CN-{code}",
            "project_code": code,
            "enterprise_uscc": USCC_A,
            "kind": "shelter_build",
            "due_date": (datetime.date.today() + datetime.timedelta(days=365)).isoformat(),
            "terms_sha256": "ab" * 32,
        },
    )[0]
    path = f"/v1/commands/{accepted['command_id']}"
    assert approval.get(path)["reference"] == f"CN-{code}"
    other = api.client("tax-bureau").request("GET", path)
    assert other.status_code == 404 and other.json()["field"] == "command_id"
