"""End to end with real processes: register → assess → levy in the tax feed → payment confirmation →
on chain → indexed → clearance yes."""

import requests

from ledger.bench.stack import OFFICE_PASSWORD, OFFICE_USER
from ledger.client import path_of
from tests.api.conftest import USCC_A, project_body, project_code


def office_session(stack) -> requests.Session:
    http = requests.Session()
    answer = http.post(stack.api_url + "/v1/auth/login", json={"username": OFFICE_USER, "password": OFFICE_PASSWORD},
                       timeout=30)
    assert answer.status_code == 200, answer.text
    http.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return http


def test_a_registered_assessed_and_paid_project_is_clear_once_indexed(stack):
    approval, tax = stack.client("approval-bureau"), stack.client("tax-bureau")
    code = project_code()
    approval.post("/v1/approval/projects", project_body(code, USCC_A))
    clearance = approval.get(path_of("v1", "approval", "projects", code, "clearance"))
    assert clearance["clear"] is False and clearance["reasons"][0]["code"] == "fee_unassessed"

    assessed = office_session(stack).post(stack.api_url + "/v1/office/assessments", json={"project_code": code}, timeout=30)
    assert assessed.status_code == 202, assessed.text
    levy = next(levy for levy, _ in tax.levies() if levy["project_code"] == code)
    assert levy["amount_fen"] == 140000 * 200000 // 100  # 1,400 m² shortfall × 2,000 yuan/m² (sample table, 金水区)

    accepted = tax.post("/v1/tax/payments", {
        "levy_number": levy["levy_number"], "voucher_number": f"E2E-{code}", "amount_fen": levy["amount_fen"],
        "paid_at": "2026-11-29T09:30:00+08:00", "payer_uscc": USCC_A})
    assert accepted["status"] == "accepted" and accepted["status_url"] == f"/v1/commands/{accepted['command_id']}"
    indexed = tax.wait_for(accepted["command_id"], "indexed", timeout=120)
    assert indexed["transaction_hash"] and indexed["block_number"] and indexed["error"] is None

    clearance = approval.get(path_of("v1", "approval", "projects", code, "clearance"))
    assert clearance["clear"] is True, clearance
    assert clearance["fee_status"] == "paid" and clearance["paid_fen"] == levy["amount_fen"]
    assert clearance["proof"]["transaction_hash"] == indexed["transaction_hash"]
