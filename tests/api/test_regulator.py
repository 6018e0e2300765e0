"""/v1/regulator: read-only, for regulators only; the credit record with each event's
contribution and proof, as of any past moment; /v1/me/credit for the enterprise itself."""

import csv
import io
import json

import pytest
from sqlalchemy import text

from ledger.db.bulk import insert_rows
from ledger.domain.common import enterprise_key_hex, project_key_hex
from ledger.indexer.projector import COLUMNS
from tests.api.conftest import USCC_A, USCC_B, project_body, project_code

CHAIN = 31337
HOUR = 3_600
T0 = 1_800_000_000  # block time of the first planted block


def _word(n: int) -> str:
    return f"0x{n:064x}"


@pytest.fixture(scope="module")
def planted(api):
    """A read model in which USCC_A's commitment went overdue (block 11) and was breached (block 12)."""
    code = project_code()
    enterprise, commitment, project = enterprise_key_hex(USCC_A), _word(0xC1), project_key_hex(code)
    api.client("approval-bureau").post("/v1/approval/projects", project_body(code, USCC_A))  # USCC_A known
    proof = lambda block: (CHAIN, block, 0, _word(block), _word(1000 + block))  # noqa: E731
    with api.engine.begin() as conn:
        assert conn.execute(text("SELECT chain_id FROM chain_state")).scalar() == CHAIN  # the mirrored rate table's
        insert_rows(
            conn,
            "block_times",
            COLUMNS["block_times"],
            [(CHAIN, block, _word(block), T0 + (block - 10) * HOUR) for block in (10, 11, 12)],
        )
        history = [
            (10, "recorded", "recorded", project, "shelter_build"),
            (11, "marked_overdue", "overdue", None, None),
            (12, "breached", "breached", None, None),
        ]
        insert_rows(
            conn,
            "commitment_events",
            COLUMNS["commitment_events"],
            [
                proof(block)
                + (
                    commitment,
                    enterprise,
                    p,
                    kind,
                    event,
                    status,
                    T0,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                )
                for block, event, status, p, kind in history
            ],
        )
        insert_rows(
            conn,
            "commitments",
            (
                "chain_id",
                "commitment",
                "project",
                "enterprise",
                "kind",
                "status",
                "fulfilled_late",
                "extensions",
                "signed_at",
                "due_at",
                "evidence_submitted_at",
                "decided_at",
                "recorded_block",
                "block_number",
                "log_index",
                "block_hash",
                "transaction_hash",
            ),
            [
                (
                    CHAIN,
                    commitment,
                    project,
                    enterprise,
                    "shelter_build",
                    "breached",
                    False,
                    0,
                    T0 - 86_400,
                    T0,
                    0,
                    0,
                    10,
                    12,
                    0,
                    _word(12),
                    _word(1012),
                )
            ],
        )
        insert_rows(
            conn,
            "enterprise_commitment_summaries",
            (
                "chain_id",
                "enterprise",
                "recorded",
                "fulfilled",
                "fulfilled_late",
                "overdue",
                "breached",
                "repaired",
                "block_number",
                "log_index",
                "block_hash",
                "transaction_hash",
            ),
            [(CHAIN, enterprise, 1, 0, 0, 1, 1, 0, 12, 0, _word(12), _word(1012))],
        )
        # the project's fee: assessed in block 10, paid on time in block 11
        insert_rows(
            conn,
            "fee_assessments",
            COLUMNS["fee_assessments"],
            [
                (
                    CHAIN,
                    10,
                    1,
                    _word(10),
                    _word(1010),
                    project,
                    enterprise,
                    1,
                    410105,
                    1,
                    200_000,
                    140_000,
                    280_000,
                    280_000,
                    T0 - 86_400,
                    T0,
                    _word(0xD0C),
                )
            ],
        )
        insert_rows(
            conn,
            "payments",
            COLUMNS["payments"],
            [(CHAIN, 11, 1, _word(11), _word(1011), project, _word(0x7E), 280_000, T0 - 60, False, False)],
        )
        insert_rows(
            conn,
            "fee_accounts",
            (
                "chain_id",
                "project",
                "payer",
                "district",
                "rate_table_version",
                "revision",
                "relief_bps",
                "base_fen",
                "adjustment_fen",
                "due_fen",
                "due_at",
                "paid_fen",
                "refunded_fen",
                "refund_owed_fen",
                "status",
                "block_number",
                "log_index",
                "block_hash",
                "transaction_hash",
            ),
            [
                (
                    CHAIN,
                    project,
                    enterprise,
                    410105,
                    1,
                    1,
                    0,
                    280_000,
                    0,
                    280_000,
                    T0,
                    280_000,
                    0,
                    0,
                    "paid",
                    11,
                    1,
                    _word(11),
                    _word(1011),
                )
            ],
        )
    return enterprise, commitment, code


def regulator_paths(api) -> list[str]:
    paths = api.client().request("GET", "/openapi.json").json()["paths"]
    return [
        p.replace("{enterprise}", USCC_A).replace("{project_code}", "2026-410105-70-01-999999")
        + ("?since=2027-01-15T00:00:00Z&until=2027-01-16T00:00:00Z" if p.endswith("/credit-events") else "")
        for p in paths
        if p.startswith("/v1/regulator/")
    ]


def test_every_regulator_route_refuses_writes_and_every_other_role(api, planted):
    paths = regulator_paths(api)
    assert len(paths) == 6
    anonymous = api.login("auditor1")
    anonymous.cookies.clear()
    office, enterprise, regulator = api.login("office1"), api.login("ent-a"), api.login("auditor1")
    for path in paths:
        url = api.url + path
        assert anonymous.get(url).status_code == 401, path
        for other in (office, enterprise):
            refused = other.get(url)
            assert refused.status_code == 403 and refused.json()["rule"] == "role", (path, refused.text)
        assert regulator.get(url).status_code in (200, 404), path
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            assert regulator.request(method, url, json={}).status_code == 405, (method, path)


def test_a_regulator_sees_each_credit_event_with_its_contribution_and_proof_as_of_any_moment(api, planted):
    enterprise, commitment, _ = planted
    regulator = api.login("auditor1")
    record = regulator.get(f"{api.url}/v1/regulator/enterprises/{USCC_A}").json()
    assert (record["enterprise_key"], record["uscc"], record["rule_set"]) == (enterprise, USCC_A, "sample-v3")
    assert (record["score"], record["grade"]) == (75, "B")
    assert [(e["kind"], e["contribution"], e["score_after"], e["proof"]["block_number"]) for e in record["events"]] == [
        ("marked_overdue", -5, 95, 11),
        ("breached", -20, 75, 12),
    ]
    assert record["events"][1]["proof"] == {
        "chain_id": CHAIN,
        "block_number": 12,
        "block_hash": _word(12),
        "transaction_hash": _word(1012),
        "log_index": 0,
        "block_time": "2027-01-15T10:00:00Z",
    }
    then = regulator.get(
        f"{api.url}/v1/regulator/enterprises/{enterprise}", params={"as_of": "2027-01-15T17:30:00+08:00"}
    ).json()  # after block 11, before block 12
    assert (then["score"], then["grade"], [e["kind"] for e in then["events"]]) == (95, "A", ["marked_overdue"])
    listed = regulator.get(f"{api.url}/v1/regulator/enterprises", params={"grade": "B"}).json()
    assert [(e["uscc"], e["score"]) for e in listed["items"]] == [(USCC_A, 75)]
    alerts = regulator.get(f"{api.url}/v1/regulator/commitments", params={"status": "breached"}).json()["items"]
    assert [(a["commitment_key"], a["proof"]["block_number"]) for a in alerts] == [(commitment, 12)]
    bad = regulator.get(f"{api.url}/v1/regulator/enterprises/not-a-uscc")
    assert bad.status_code == 422 and bad.json()["field"] == "enterprise"


def test_a_regulator_exports_the_credit_events_of_a_range_as_json_lines_or_csv(api, planted):
    enterprise, commitment, _ = planted
    regulator = api.login("auditor1")
    url = f"{api.url}/v1/regulator/credit-events"
    # blocks 11 and 12 are at 09:00 and 10:00 UTC: the range ends before block 12, which it leaves out
    window = {"since": "2027-01-15T16:00:00+08:00", "until": "2027-01-15T18:00:00+08:00"}
    lines = regulator.get(url, params=window)
    assert lines.headers["content-type"] == "application/jsonl" and "attachment" in lines.headers["content-disposition"]
    records = [json.loads(line) for line in lines.text.splitlines()]
    assert [(r["kind"], r["uscc"], r["enterprise_key"], r["commitment_key"], r["rule_set"]) for r in records] == [
        ("marked_overdue", USCC_A, enterprise, commitment, "sample-v3")
    ]
    assert (records[0]["recorded_at"], records[0]["proof"]["block_number"]) == ("2027-01-15T09:00:00Z", 11)
    table = regulator.get(url, params={**window, "until": "2027-01-15T19:00:00+08:00", "format": "csv"})
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [(r["kind"], r["contribution"], r["block_number"]) for r in rows] == [
        ("marked_overdue", "-5", "11"),
        ("breached", "-20", "12"),
    ]
    backwards = regulator.get(url, params={"since": window["until"], "until": window["since"]})
    assert backwards.status_code == 422 and (backwards.json()["field"], backwards.json()["rule"]) == (
        "until",
        "after_since",
    )


def test_an_enterprise_sees_its_own_credit_record_and_no_one_elses(api, planted):
    mine = api.login("ent-a").get(f"{api.url}/v1/me/credit").json()
    assert (mine["uscc"], mine["score"], len(mine["events"])) == (USCC_A, 75, 2)
    other = api.login("ent-b").get(f"{api.url}/v1/me/credit").json()
    assert (other["enterprise_key"], other["score"], other["grade"], other["events"]) == (
        enterprise_key_hex(USCC_B),
        100,
        "A",
        [],
    )


def test_a_regulator_follows_a_projects_money_trail_with_the_proof_of_every_figure(api, planted):
    *_, code = planted
    trail = api.login("auditor1").get(f"{api.url}/v1/regulator/projects/{code}/money-trail").json()
    assert (trail["project_code"], trail["account"]["status"], trail["account"]["paid_fen"]) == (code, "paid", 280_000)
    assert [
        (
            e["kind"],
            e["amount_fen"],
            e["due_fen_after"],
            e["late"],
            e["proof"]["block_number"],
            e["proof"]["block_time"],
        )
        for e in trail["entries"]
    ] == [
        ("assessed", 280_000, 280_000, None, 10, "2027-01-15T08:00:00Z"),
        ("payment", 280_000, None, False, 11, "2027-01-15T09:00:00Z"),
    ]
    assert trail["entries"][1]["reference_key"] == _word(0x7E)


def test_a_money_trail_of_the_largest_amounts_answers_them_exactly(api, planted):
    enterprise, *_ = planted
    code, u64 = project_code(), 2**64 - 1
    api.client("approval-bureau").post("/v1/approval/projects", project_body(code, USCC_A))
    project = project_key_hex(code)
    with api.engine.begin() as conn:
        insert_rows(
            conn,
            "fee_assessments",
            COLUMNS["fee_assessments"],
            [
                (
                    CHAIN,
                    10,
                    7,
                    _word(10),
                    _word(1010),
                    project,
                    enterprise,
                    1,
                    410105,
                    1,
                    u64,
                    100,
                    u64,
                    u64,
                    T0,
                    T0 + 86_400,
                    _word(0xD0C),
                )
            ],
        )
        insert_rows(
            conn,
            "payments",
            COLUMNS["payments"],
            [(CHAIN, 11, 7, _word(11), _word(1011), project, _word(0x7F), u64, T0, False, False)],
        )
        insert_rows(
            conn,
            "fee_accounts",
            (
                "chain_id",
                "project",
                "payer",
                "district",
                "rate_table_version",
                "revision",
                "relief_bps",
                "base_fen",
                "adjustment_fen",
                "due_fen",
                "due_at",
                "paid_fen",
                "refunded_fen",
                "refund_owed_fen",
                "status",
                "block_number",
                "log_index",
                "block_hash",
                "transaction_hash",
            ),
            [
                (
                    CHAIN,
                    project,
                    enterprise,
                    410105,
                    1,
                    1,
                    0,
                    u64,
                    0,
                    u64,
                    T0 + 86_400,
                    u64,
                    0,
                    0,
                    "paid",
                    11,
                    7,
                    _word(11),
                    _word(1011),
                )
            ],
        )
    response = api.login("auditor1").get(f"{api.url}/v1/regulator/projects/{code}/money-trail")
    assert response.status_code == 200, response.text
    trail = response.json()
    assert [(e["kind"], e["amount_fen"]) for e in trail["entries"]] == [("assessed", u64), ("payment", u64)]
    assert (trail["account"]["due_fen"], trail["account"]["paid_fen"]) == (u64, u64)


def test_a_regulator_reads_the_rule_set_with_each_grade_and_its_floor_best_first(api):
    answer = api.login("auditor1").get(f"{api.url}/v1/regulator/rule-set", timeout=30)
    assert answer.status_code == 200, answer.text
    rules = answer.json()
    assert rules["grades"] == [{"grade": "A", "floor": 90}, {"grade": "B", "floor": 75}, {"grade": "C", "floor": 60}]
    assert rules["lowest_grade"] == "D"
