"""One shape for every refusal: batch items named items[k].field, every type a /problems/ URI,
malformed bodies naming the body and the rule, Idempotency-Key rules named truly; every 202 that
names one command carries its Location."""

import re
from pathlib import Path

import requests

from tests.api.conftest import USCC_A, open_levy, payment_for, project_body, project_code
from web.app import create_app

app = create_app()  # routes and OpenAPI document read in this process

SHA = "ab" * 32


def commitment(code: str, number: str) -> dict:
    return {
        "commitment_number": number,
        "project_code": code,
        "enterprise_uscc": USCC_A,
        "kind": "shelter_build",
        "due_date": "2030-06-30",
        "terms_sha256": SHA,
    }


def test_a_full_width_project_code_is_registered_as_its_ascii_twin(api):
    approval = api.client("approval-bureau")
    code = project_code()
    wide = "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in code[:4]) + code[4:]
    first = approval.post("/v1/approval/projects", project_body(code))
    twin = approval.post("/v1/approval/projects", project_body(wide) | {"district": code.split("-")[1]})
    assert twin["project_code"] == code and twin["project_key"] == first["project_key"]
    assert approval.get(f"/v1/approval/projects/{requests.utils.quote(wide)}")["project_key"] == first["project_key"]


def test_a_project_code_of_non_ascii_digits_is_refused_naming_the_field(api):
    code = project_code()
    arabic = "".join(chr(ord(ch) - ord("0") + 0x0660) if ch.isdigit() else ch for ch in code[:4]) + code[4:]
    response = api.client("approval-bureau").request(
        "POST", "/v1/approval/projects", json=project_body(arabic) | {"district": code.split("-")[1]}
    )
    assert response.status_code == 422, response.text
    assert (response.json()["field"], response.json()["rule"]) == ("project_code", "project_code")


def test_a_payment_batch_names_each_refused_item_as_items_k_field_with_a_problems_uri(api):
    levy = open_levy(api)
    good = payment_for(levy)
    unknown = payment_for(levy, levy_number=levy["project_code"] + "-A9")
    twice = payment_for(levy, voucher_number=good["voucher_number"])
    answer = api.client("tax-bureau").request("POST", "/v1/tax/payments/batch", json={"items": [good, unknown, twice]})
    assert answer.status_code == 202, answer.text
    items = answer.json()["items"]
    assert items[0]["accepted"] and "problem" not in items[0] or items[0]["problem"] is None
    assert (items[1]["problem"]["type"], items[1]["problem"]["field"]) == (
        "/problems/not-found",
        "items[1].levy_number",
    )
    assert (items[2]["problem"]["type"], items[2]["problem"]["field"]) == (
        "/problems/conflict",
        "items[2].voucher_number",
    )


def test_a_commitment_batch_names_the_item_whose_number_is_already_recorded(api):
    approval = api.client("approval-bureau")
    code = project_code()
    approval.post("/v1/approval/projects", project_body(code))
    approval.post("/v1/approval/commitments", commitment(code, f"CN-{code}-1"))
    answer = approval.request(
        "POST",
        "/v1/approval/commitments/batch",
        json={"items": [commitment(code, f"CN-{code}-2"), commitment(code, f"cn-{code}-1")]},
    )
    assert answer.status_code == 409, answer.text
    problem = answer.json()
    assert (problem["type"], problem["field"], problem["rule"]) == (
        "/problems/conflict",
        "items[1].commitment_number",
        "unique_forever",
    )


def test_a_single_commitment_answers_202_with_its_location(api):
    approval = api.client("approval-bureau")
    code = project_code()
    approval.post("/v1/approval/projects", project_body(code))
    answer = approval.request("POST", "/v1/approval/commitments", json=commitment(code, f"CN-{code}-L"))
    assert answer.status_code == 202, answer.text
    assert answer.headers["Location"] == answer.json()[0]["status_url"]


def test_a_body_of_invalid_utf8_names_the_body_and_the_rule(api):
    answer = api.client("tax-bureau").request("POST", "/v1/tax/payments", body=b'{"voucher_number": "\xff\xfe"}')
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert (problem["type"], problem["field"], problem["rule"]) == ("/problems/malformed-request", "body", "utf8")


def test_json_nested_five_thousand_deep_names_the_body_and_the_rule(api):
    answer = api.client("tax-bureau").request("POST", "/v1/tax/payments", body=b"[" * 5000 + b"]" * 5000)
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert (problem["type"], problem["field"], problem["rule"]) == ("/problems/malformed-request", "body", "max_depth")


def test_an_idempotency_key_is_refused_by_the_rule_it_breaks(api):
    tax = api.client("tax-bureau")
    body = payment_for(
        {
            "levy_number": "2026-410105-70-01-000001-A1",
            "amount_fen": 1,
            "created_at": "2026-11-29T09:30:00+08:00",
            "payer_uscc": USCC_A,
        }
    )
    for key, rule in (
        ("支付-1".encode(), "printable_ascii"),
        ("a\tb", "printable_ascii"),
        ("clé".encode("latin-1"), "printable_ascii"),
        ("k" * 256, "max_length"),
    ):
        answer = tax.request("POST", "/v1/tax/payments", json=body, headers={"Idempotency-Key": key})
        assert answer.status_code == 422, answer.text
        assert (answer.json()["field"], answer.json()["rule"]) == ("Idempotency-Key", rule)


def test_every_accepted_item_of_a_payment_batch_carries_its_status_url(api):
    tax = api.client("tax-bureau")
    levy = open_levy(api)
    answer = tax.request("POST", "/v1/tax/payments/batch", json={"items": [payment_for(levy), payment_for(levy)]})
    assert answer.status_code == 202, answer.text
    for item in answer.json()["items"]:
        assert item["status_url"] == f"/v1/commands/{item['command_id']}"
        assert tax.get(item["status_url"])["command_id"] == item["command_id"]


def readme_202_exceptions() -> set[str]:
    """The routes the docs' 202 table lists as answering without Location ("none" in its last column)."""
    section = Path("docs/integrators/commands.md").read_text().split("## The 202 answer", 1)[1].split("##", 1)[0]
    return {
        route
        for row in section.splitlines()
        if row.startswith("|") and row.rstrip(" |").split("|")[-1].strip().startswith("none")
        for route in re.findall(r"`POST (/v1/[^`]+)`", row)
    }


# 202 routes whose valid call needs a world of its own (a revealed draw of fulfilled commitments): their
# 202 and Location are asserted in tests/api/test_office_draws.py
# (test_commit_reveal_and_outcome_answer_202_with_location_at_their_commands).
LOCATION_ASSERTED_ELSEWHERE = {
    "/v1/office/draws",
    "/v1/office/draws/{draw_number}/reveal",
    "/v1/office/draws/{draw_number}/recommit",
    "/v1/office/draws/{draw_number}/outcomes",
}


def test_every_route_answering_202_carries_a_location_or_is_a_documented_exception(api):
    approval, tax, office = api.client("approval-bureau"), api.client("tax-bureau"), api.login("office1")
    code = project_code()
    approval.post("/v1/approval/projects", project_body(code))
    levy = open_levy(api)
    commitment_number = f"CN-{code}-D"
    calls = {  # a valid call of each route that names one command
        "/v1/approval/commitments": lambda: approval.request(
            "POST", "/v1/approval/commitments", json=commitment(code, commitment_number)
        ),
        "/v1/tax/payments": lambda: tax.request("POST", "/v1/tax/payments", json=payment_for(levy)),
        "/v1/tax/refunds": lambda: tax.request(
            "POST",
            "/v1/tax/refunds",
            json={
                "refund_reference": f"RF-{code}",
                "levy_number": levy["levy_number"],
                "amount_fen": 1,
                "refunded_at": levy["created_at"],
            },
        ),
        "/v1/office/assessments": lambda: office.post(api.url + "/v1/office/assessments", json={"project_code": code}),
        "/v1/office/adjustments": lambda: office.post(
            api.url + "/v1/office/adjustments",
            json={"project_code": code, "reason_code": "AFFORDABLE_HOUSING", "document_sha256": SHA},
        ),
        "/v1/office/commitments/{commitment_number}/decisions": lambda: office.post(
            api.url + f"/v1/office/commitments/{commitment_number}/decisions",
            json={"action": "submit_evidence", "document_sha256": SHA},
        ),
    }
    answering_202 = {
        path
        for path, item in app.openapi()["paths"].items()
        if any("202" in operation["responses"] for operation in item.values())
    }
    exceptions = readme_202_exceptions()
    assert exceptions and exceptions <= answering_202, exceptions
    assert answering_202 - exceptions == set(calls) | LOCATION_ASSERTED_ELSEWHERE, (
        "a 202 route without Location must be in the docs' 202 table"
    )
    for path, call in calls.items():  # in order: the commitment, the levy's payment, the project's assessment
        answer = call()
        assert answer.status_code == 202, (path, answer.text)
        body = answer.json()
        assert answer.headers["Location"] == (body[0] if isinstance(body, list) else body)["status_url"], path


def test_a_malformed_command_id_or_enterprise_in_the_path_is_refused_naming_the_field(api):
    for answer, field in (
        (api.client("tax-bureau").request("GET", "/v1/commands/not-a-command"), "command_id"),
        (api.login("office1").get(api.url + "/v1/office/commands/" + "A" * 32), "command_id"),
        (api.login("auditor1").get(api.url + "/v1/regulator/enterprises/0x1234"), "enterprise"),
    ):
        assert answer.status_code == 422, answer.text
        problem = answer.json()
        assert (problem["type"], problem["field"]) == ("/problems/validation-failed", field) and problem["rule"]
