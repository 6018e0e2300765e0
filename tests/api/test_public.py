"""/v1/public: a project and a receipt as anyone sees them — figures from the chain's mirror, each
with a proof that names a real transaction, personal data masked, bad input named, a rate limit."""

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from ledger.core.settings import get_settings
from web.app import create_app
from web.kit.problems import MEDIA_TYPE

PUBLIC = "/v1/public"


def client_for(world, *, client=("198.51.100.7", 40000), **api_settings) -> TestClient:
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: world.settings(api={"public_burst": 1000, **api_settings})
    return TestClient(app, client=client)


@pytest.fixture(scope="module")
def http(public_world):
    with client_for(public_world) as client:
        yield client


def assert_proof_names_the_chain(world, proof: dict) -> dict:
    """The proof points at a real transaction of the chain, in the block it names."""
    receipt = world.chain.w3.eth.get_transaction_receipt(proof["transaction_hash"])
    assert receipt["blockNumber"] == proof["block_number"]
    assert "0x" + receipt["blockHash"].hex().removeprefix("0x") == proof["block_hash"]
    assert proof["chain_id"] == world.chain.w3.eth.chain_id
    assert any(log["logIndex"] == proof["log_index"] for log in receipt["logs"])
    return receipt


def assert_problem(response, status: int, field: str, rule: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    body = response.json()
    assert body["field"] == field, body
    if rule:
        assert body["rule"] == rule, body
    return body


def test_a_project_shows_its_fee_and_commitments_as_the_chain_holds_them_with_proofs(http, public_world):
    response = http.get(f"{PUBLIC}/projects/{public_world.assessed_code}")
    assert response.status_code == 200, response.text
    project = response.json()
    fee = project["fee"]
    assert fee["status"] == "partially_paid"
    assert fee["due_fen"] == public_world.due_fen
    assert fee["paid_fen"] == sum(public_world.amounts)
    assert fee["base_fen"] == (fee["shortfall_area"] * fee["rate_fen_per_m2"] + 50) // 100 == public_world.due_fen
    assert_proof_names_the_chain(public_world, fee["proof"])
    assert_proof_names_the_chain(public_world, fee["assessment_proof"])
    assert fee["assessment_proof"]["block_number"] < fee["proof"]["block_number"]  # assessed, then paid
    listed = project["commitments"]["items"]
    assert [c["commitment_number"] for c in listed] == public_world.commitments
    assert [(c["kind"], c["status"]) for c in listed] == [("shelter_build", "recorded"), ("materials", "recorded")]
    for item in listed:
        assert_proof_names_the_chain(public_world, item["proof"])
    assert project["as_of"]["block_number"] >= fee["proof"]["block_number"]


def test_the_builder_is_masked_and_no_personal_data_is_shown(http, public_world):
    text = http.get(f"{PUBLIC}/projects/{public_world.assessed_code}").text
    assert "样例****有限公司" in text
    for personal in ("样例建设单位", "张三", "0371-12345678", "91410100MA"):  # name, contact, phone, USCC
        assert personal not in text


def test_an_unassessed_project_has_no_fee_and_no_commitments_yet(http, public_world):
    project = http.get(f"{PUBLIC}/projects/{public_world.unassessed_code}").json()
    assert project["fee"] is None and project["commitments"] == {"items": [], "next_cursor": None}


def test_payments_come_in_cursor_pages_with_masked_vouchers_and_proofs(http, public_world):
    base = f"{PUBLIC}/projects/{public_world.assessed_code}/payments"
    first = http.get(base, params={"limit": 1}).json()
    second = http.get(base, params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert first["next_cursor"] and second["items"]
    items = first["items"] + second["items"]
    assert [p["amount_fen"] for p in items] == public_world.amounts
    assert [p["voucher_number_masked"] for p in items] == [v[:4] + "****" + v[-4:] for v in public_world.vouchers]
    for item in items:
        assert_proof_names_the_chain(public_world, item["proof"])
    last = http.get(base, params={"limit": 1, "cursor": second["next_cursor"]}).json()
    assert last == {"items": [], "next_cursor": None}
    commitments = http.get(f"{PUBLIC}/projects/{public_world.assessed_code}/commitments", params={"limit": 1}).json()
    assert commitments["items"][0]["commitment_number"] == public_world.commitments[0] and commitments["next_cursor"]


def test_a_receipt_is_verified_with_its_amount_project_time_and_proof(http, public_world):
    voucher = public_world.vouchers[1]
    spaced = f" {voucher[:6]} {voucher[6:]} "  # as typed from the paper: the same voucher once normalised
    response = http.get(f"{PUBLIC}/receipts/{spaced}")
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert receipt["verified"] is True and receipt["voucher_number"] == voucher
    assert receipt["amount_fen"] == public_world.amounts[1]
    assert receipt["project_code"] == public_world.assessed_code and receipt["district_name"]
    tx = assert_proof_names_the_chain(public_world, receipt["proof"])
    block_time = public_world.chain.w3.eth.get_block(tx["blockNumber"])["timestamp"]
    assert block_time - 900 <= datetime.fromisoformat(receipt["paid_at"]).timestamp() <= block_time  # FeeLedger's bound


def test_a_receipt_rechecked_against_the_chain_node_matches(http, public_world):
    check = http.get(f"{PUBLIC}/receipts/{public_world.vouchers[0]}/chain-check").json()
    assert check["matches"] is True, check
    assert check["checked_block_number"] >= 1 and "PaymentRecorded" in check["detail"]


def test_an_unknown_project_or_voucher_is_a_404_problem_naming_the_field(http, public_world):
    assert_problem(http.get(f"{PUBLIC}/projects/2026-410105-47-01-999999"), 404, "project_code", "registered_project")
    assert_problem(http.get(f"{PUBLIC}/receipts/332026999999999999"), 404, "voucher_number", "recorded_on_chain")


def test_bad_input_is_a_422_problem_naming_the_field_and_the_rule(http, public_world):
    assert_problem(http.get(f"{PUBLIC}/projects/2026-41010-47-01-1"), 422, "project_code", "project_code")
    assert_problem(http.get(f"{PUBLIC}/projects/2026-999999-47-01-000001"), 422, "project_code", "project_code")
    assert_problem(http.get(f"{PUBLIC}/receipts/@@@"), 422, "voucher_number", "reference")
    payments = f"{PUBLIC}/projects/{public_world.assessed_code}/payments"
    assert_problem(http.get(payments, params={"cursor": "bm90LWEtY3Vyc29y"}), 422, "cursor", "opaque_cursor")
    assert_problem(http.get(payments, params={"limit": 1000}), 422, "limit", "less_than_equal")


def test_a_client_over_its_rate_gets_429_with_retry_after_and_others_are_served(public_world):
    path = f"{PUBLIC}/projects/{public_world.assessed_code}"
    with client_for(public_world, public_burst=3, public_rate_per_second=0.01) as busy:
        assert [busy.get(path).status_code for _ in range(3)] == [200, 200, 200]
        refused = busy.get(path)
        body = assert_problem(refused, 429, "client_ip", "rate_limit")
        assert body["type"] == "/problems/rate-limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 300  # the 3 requests leave the 300 s window
        other = TestClient(busy.app, client=("203.0.113.9", 40000))
        assert other.get(path).status_code == 200
