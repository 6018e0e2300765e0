"""Bad input on every write route: a 4xx problem+json naming the field and the rule, and the
database unchanged."""

import pytest

from tests.api.conftest import USCC_A, project_body, project_code

SHA = "ab" * 32
BAD_USCC = USCC_A[:-1] + ("0" if USCC_A[-1] != "0" else "1")  # wrong check character
CODE = "2026-410105-70-01-000777"
PAYMENT = {
    "levy_number": "2026-410105-70-01-000777-A1",
    "voucher_number": "V-1",
    "amount_fen": 100,
    "paid_at": "2026-11-29T09:30:00+08:00",
    "payer_uscc": USCC_A,
}
COMMITMENT = {
    "commitment_number": "CN-1",
    "project_code": CODE,
    "enterprise_uscc": USCC_A,
    "kind": "shelter_build",
    "due_date": "2027-06-30",
    "terms_sha256": SHA,
}
STATEMENT_ITEM = {k: PAYMENT[k] for k in ("voucher_number", "levy_number", "amount_fen", "paid_at")}

# (caller, path, body, field the problem must name)
CASES = [
    ("approval", "/v1/approval/projects", project_body(CODE, BAD_USCC), "builder_uscc"),
    (
        "approval",
        "/v1/approval/projects",
        project_body(CODE) | {"project_code": "2026-41010-70-01-000777"},
        "project_code",
    ),
    ("approval", "/v1/approval/projects", project_body(CODE) | {"district": "110101"}, "district"),
    ("approval", "/v1/approval/projects", project_body("2026-110101-70-01-000777"), "project_code"),
    ("approval", "/v1/approval/projects", project_body(CODE) | {"required_shelter_area": -1}, "required_shelter_area"),
    ("approval", "/v1/approval/projects", project_body(CODE) | {"built_shelter_area": 12.5}, "built_shelter_area"),
    ("approval", "/v1/approval/commitments", COMMITMENT | {"enterprise_uscc": BAD_USCC}, "enterprise_uscc"),
    ("approval", "/v1/approval/commitments", COMMITMENT | {"project_code": "P-1"}, "project_code"),
    ("approval", "/v1/approval/commitments", COMMITMENT | {"terms_sha256": "xyz"}, "terms_sha256"),
    (
        "approval",
        "/v1/approval/commitments/batch",
        {"items": [COMMITMENT, COMMITMENT | {"kind": "promise"}]},
        "items[1].kind",
    ),
    (
        "approval",
        "/v1/approval/acceptance",
        {"project_code": CODE, "passed": True, "surveyed_shelter_area": 1.5, "report_sha256": SHA},
        "surveyed_shelter_area",
    ),
    ("tax", "/v1/tax/payments", PAYMENT | {"amount_fen": -100}, "amount_fen"),
    ("tax", "/v1/tax/payments", PAYMENT | {"amount_fen": 100.5}, "amount_fen"),
    ("tax", "/v1/tax/payments", PAYMENT | {"amount_fen": "100"}, "amount_fen"),
    ("tax", "/v1/tax/payments", PAYMENT | {"payer_uscc": BAD_USCC}, "payer_uscc"),
    ("tax", "/v1/tax/payments", PAYMENT | {"paid_at": "2026-11-29T09:30:00"}, "paid_at"),
    ("tax", "/v1/tax/payments/batch", {"items": [PAYMENT, PAYMENT | {"amount_fen": 0}]}, "items[1].amount_fen"),
    ("tax", "/v1/tax/payments/batch", {"items": [PAYMENT] * 501}, "items"),
    (
        "tax",
        "/v1/tax/refunds",
        {
            "refund_reference": "RF-1",
            "levy_number": "2026-410105-70-01-000777-A1",
            "amount_fen": -1,
            "refunded_at": "2026-11-29T09:30:00+08:00",
        },
        "amount_fen",
    ),
    (
        "tax",
        "/v1/tax/reconciliations",
        {"day": "2026-11-29", "items": [STATEMENT_ITEM | {"amount_fen": 1.5}]},
        "items[0].amount_fen",
    ),
    # A number where a date or time is documented is not read as a Unix timestamp (found by Schemathesis).
    ("tax", "/v1/tax/payments/batch", {"items": [PAYMENT | {"paid_at": 0}]}, "items[0].paid_at"),
    (
        "tax",
        "/v1/tax/reconciliations",
        {"day": "2026-11-29", "items": [STATEMENT_ITEM | {"paid_at": 0}]},
        "items[0].paid_at",
    ),
    ("tax", "/v1/tax/reconciliations", {"day": 20261129, "items": []}, "day"),
    ("approval", "/v1/approval/commitments", COMMITMENT | {"due_date": 1800000000}, "due_date"),
    ("approval", "/v1/approval/commitments", COMMITMENT | {"signed_at": 1796283065.5}, "signed_at"),
    ("office", "/v1/office/assessments", {"project_code": CODE, "due_date": 0}, "due_date"),
    ("office", "/v1/office/assessments", {"project_code": "2026-410105-70-01"}, "project_code"),
    (
        "office",
        "/v1/office/adjustments",
        {"project_code": CODE, "reason_code": "AFFORDABLE_HOUSING", "delta_fen": 1.5, "document_sha256": SHA},
        "delta_fen",
    ),
    ("office", "/v1/office/commitments/CN-1/decisions", {"action": "forgive", "document_sha256": SHA}, "action"),
]


def send(api, caller: str, path: str, *, json=None, body: bytes | None = None):
    if caller == "office":
        session = api.login("office1")
        if body is not None:
            return session.post(api.url + path, data=body, headers={"Content-Type": "application/json"}, timeout=30)
        return session.post(api.url + path, json=json, timeout=30)
    client = api.client("tax-bureau" if caller == "tax" else "approval-bureau")
    return client.request("POST", path, json=json, body=body)


@pytest.mark.parametrize("caller,path,body,field", CASES, ids=[f"{c[1]}:{c[3]}" for c in CASES])
def test_bad_input_is_refused_naming_the_field_and_nothing_changes(api, caller, path, body, field):
    api.login("office1")  # so the login's own writes (none expected) are not counted below
    before = api.counts()
    response = send(api, caller, path, json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["field"] == field, problem
    assert problem["rule"] and problem["detail"]
    assert problem["type"].startswith("/problems/")
    changed = {t: (before[t], n) for t, n in api.counts().items() if n != before[t] and t != "api_nonces"}
    assert changed == {}


WRITE_ROUTES = sorted({(c[0], c[1]) for c in CASES})


@pytest.mark.parametrize("caller,path", WRITE_ROUTES)
def test_an_oversized_body_is_refused_with_413_naming_the_body(api, caller, path):
    before = api.counts()
    response = send(api, caller, path, body=b'{"x": "' + b"a" * 1_100_000 + b'"}')
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == "body"
    assert api.counts() == before


def test_a_body_that_is_not_json_is_a_problem_naming_the_body(api):
    response = api.client("tax-bureau").request("POST", "/v1/tax/payments", body=b"{not json")
    assert response.status_code == 400 and response.json()["field"] == "body"


def test_a_valid_project_is_registered(api):
    code = project_code()
    project = api.client("approval-bureau").post("/v1/approval/projects", project_body(code))
    assert project["project_code"] == code and project["shortfall_area"] == 140000


@pytest.mark.parametrize(
    "caller,path,field",
    [
        ("tax-bureau", "/v1/tax/statements/0", "day"),
        ("ent-a", "/v1/me/credit?as_of=0.5", "as_of"),
        ("auditor1", f"/v1/regulator/enterprises/{USCC_A}?as_of=0", "as_of"),
        ("auditor1", "/v1/regulator/credit-events?since=0&until=86400", "since"),
    ],
)
def test_a_number_in_a_date_or_time_parameter_is_refused_not_read_as_a_unix_timestamp(api, caller, path, field):
    if caller == "tax-bureau":
        response = api.client(caller).request("GET", path)
    else:
        response = api.login(caller).get(api.url + path, timeout=30)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["field"] == field, problem
    assert problem["rule"] in ("iso_8601_date", "iso_8601_datetime"), problem
    assert "ISO 8601" in problem["detail"]
