"""Request and response examples for the OpenAPI document (one place, so they stay consistent)."""

from web.kit.problems import OpenApiResponses

USCC = "91410100MA3X5L8R2W"
PROJECT = "2026-410105-70-01-000123"
LEVY_NUMBER = PROJECT + "-A1"  # the project code and the assessment's revision
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
COMMAND_ID = "9b2c4f0e8a7d4c1b9e3f5a6b7c8d9e0f"  # a command id as issued: 32 lower-case hex digits


def body(summary: str, value: dict) -> dict:
    return {"default": {"summary": summary, "value": value}}


def ok(description: str, value, status: int = 200) -> OpenApiResponses:
    return {status: {"description": description, "content": {"application/json": {"example": value}}}}


PROJECT_CREATE = {
    "project_code": PROJECT,
    "name": "金水区商务中心二期",
    "builder_uscc": USCC,
    "builder_name": "郑州某置业有限公司",
    "contact_person": "王工",
    "contact_phone": "0371-65550123",
    "district": "410105",
    "required_shelter_area": 520000,
    "built_shelter_area": 380000,
    "stage": "approval",
}
PROJECT_PUBLIC = {
    **{k: v for k, v in PROJECT_CREATE.items() if k not in ("contact_person", "contact_phone")},
    "project_key": "0x" + "ab" * 32,
    "district_name": "金水区",
    "shortfall_area": 140000,
    "created_at": "2026-11-29T08:00:00Z",
    "updated_at": "2026-11-29T08:00:00Z",
}
ACCEPTED = {
    "command_id": COMMAND_ID,
    "kind": "record_payment",
    "reference": "332026000000123456",
    "status": "accepted",
    "status_url": f"/v1/commands/{COMMAND_ID}",
}
COMMITMENT = {
    "commitment_number": "CN-2026-000045",
    "project_code": PROJECT,
    "enterprise_uscc": USCC,
    "kind": "shelter_build",
    "due_date": "2027-06-30",
    "terms_sha256": SHA,
    "signed_at": "2026-11-28T15:00:00+08:00",
}
ASSESSMENT = {"project_code": PROJECT, "due_date": "2026-12-31"}
ACCEPTANCE = {
    "project_code": PROJECT,
    "passed": True,
    "surveyed_shelter_area": 372000,
    "report_sha256": SHA,
    "accepted_at": "2027-06-20T10:00:00+08:00",
}
# 80 m² less than the approved built area, charged (补缴) at the assessment's rate: 2,000 yuan/m² (金水区, sample table)
ACCEPTED_ACCEPTANCE = {
    "report_id": "7f3a9c1e5b2d4e6f8a0b1c2d3e4f5a6b",
    "delta_fen": 16000000,
    "commands": [
        ACCEPTED
        | {"kind": "fulfil_by_acceptance", "reference": "CN-2026-000045", "status_url": f"/v1/commands/{COMMAND_ID}"},
        ACCEPTED
        | {
            "command_id": "4e1d7c2a9b0f4a38b6c5d2e1f0a9b8c7",
            "kind": "adjust_fee",
            "reference": PROJECT,
            "status_url": "/v1/commands/4e1d7c2a9b0f4a38b6c5d2e1f0a9b8c7",
        },
    ],
}
DECISION = {"action": "fulfil", "document_sha256": SHA, "decided_at": "2027-06-18T16:00:00+08:00"}
PAYMENT = {
    "levy_number": LEVY_NUMBER,
    "voucher_number": "332026000000123456",
    "amount_fen": 2100000000,
    "paid_at": "2026-11-29T09:30:00+08:00",
    "payer_uscc": USCC,
}
REFUND = {
    "refund_reference": "RF-2026-000007",
    "levy_number": LEVY_NUMBER,
    "amount_fen": 50000,
    "refunded_at": "2026-11-30T10:00:00+08:00",
}
LEVY = {
    "levy_number": LEVY_NUMBER,
    "project_code": PROJECT,
    "payer_uscc": USCC,
    "kind": "assessment",
    "amount_fen": 2100000000,
    "confirmed_fen": 0,
    "status": "open",
    "created_at": "2026-11-29T08:05:00Z",
}
PROOF = {
    "chain_id": 31337,
    "block_number": 1042,
    "block_hash": "0x" + "cd" * 32,
    "transaction_hash": "0x" + "ef" * 32,
    "log_index": 0,
}
CLEARANCE = {
    "project_code": PROJECT,
    "clear": False,
    "fee_status": "partially_paid",
    "due_fen": 2100000000,
    "paid_fen": 1000000000,
    "open_commitments": ["CN-2026-000045"],
    "overdue_commitments": [],
    "reasons": [
        {
            "code": "fee_outstanding",
            "detail": "11000000.00 yuan of the fee is unpaid",
            "reference": PROJECT,
            "proof": PROOF,
        }
    ],
    "proof": PROOF,
}
STATEMENT_ITEM = {
    "voucher_number": "332026000000123456",
    "levy_number": LEVY_NUMBER,
    "amount_fen": 2100000000,
    "paid_at": "2026-11-29T09:30:00+08:00",
}
COMMAND_STATUS = {
    "command_id": COMMAND_ID,
    "kind": "record_payment",
    "reference": "332026000000123456",
    "status": "indexed",
    "created_at": "2026-11-29T09:30:01Z",
    "submitted_at": "2026-11-29T09:30:01Z",
    "mined_at": "2026-11-29T09:30:02Z",
    "indexed_at": "2026-11-29T09:30:03Z",
    "chain_id": 31337,
    "transaction_hash": "0x" + "ef" * 32,
    "block_number": 1042,
    "error": None,
}

# --- the credit record and the regulator's views (rule set sample-v3, in force) ---
ENTERPRISE_KEY = "0x" + "5e" * 32
PROOF_TIMED = PROOF | {"block_time": "2027-07-08T02:00:00Z"}
CREDIT_RECORD = {
    "enterprise_key": ENTERPRISE_KEY,
    "uscc": USCC,
    "rule_set": "sample-v3",
    "rule_set_label": "SAMPLE rule set for development and demonstration — not a policy adopted by the office",
    "as_of": None,
    "start": 100,
    "score": 75,
    "grade": "B",
    "events": [
        {
            "kind": "marked_overdue",
            "contribution": -5,
            "score_after": 95,
            "commitment_key": "0x" + "c0" * 32,
            "commitment_number": "CN-2026-000045",
            "project_key": "0x" + "ab" * 32,
            "project_code": PROJECT,
            "fact_at": None,
            "counts": None,
            "proof": PROOF_TIMED,
        },
        {
            "kind": "breached",
            "contribution": -20,
            "score_after": 75,
            "commitment_key": "0x" + "c0" * 32,
            "commitment_number": "CN-2026-000045",
            "project_key": "0x" + "ab" * 32,
            "project_code": PROJECT,
            "fact_at": None,
            "counts": None,
            "proof": PROOF_TIMED | {"block_number": 1107, "log_index": 2, "block_time": "2027-07-20T03:00:00Z"},
        },
    ],
}
ENTERPRISE_CREDIT = {
    "enterprise_key": ENTERPRISE_KEY,
    "uscc": USCC,
    "score": 75,
    "grade": "B",
    "counts": {
        "fulfilled_on_time": 0,
        "fulfilled_late": 0,
        "marked_overdue": 1,
        "breached": 1,
        "repaired": 0,
        "late_fee_payment": 0,
        "overdue_mark_voided": 0,
        "false_commitment": 0,
    },
}
CREDIT_EVENT_EXPORT = {
    "enterprise_key": ENTERPRISE_KEY,
    "uscc": USCC,
    "kind": "fulfilled_late",
    "contribution": -3,
    "rule_set": "sample-v3",
    "recorded_at": "2027-07-08T02:00:00Z",
    "fact_at": "2027-07-06T09:30:00Z",
    "commitment_key": "0x" + "c0" * 32,
    "commitment_number": "CN-2026-000045",
    "project_key": "0x" + "ab" * 32,
    "project_code": PROJECT,
    "counts": None,
    "proof": PROOF,
}
COMMITMENT_ALERT = {
    "commitment_key": "0x" + "c0" * 32,
    "commitment_number": "CN-2026-000045",
    "project_key": "0x" + "ab" * 32,
    "project_code": PROJECT,
    "enterprise_key": ENTERPRISE_KEY,
    "uscc": USCC,
    "kind": "shelter_build",
    "status": "breached",
    "due_at": "2027-06-30T15:59:59Z",
    "proof": PROOF_TIMED,
}
MONEY_TRAIL = {
    "project_code": PROJECT,
    "project_key": "0x" + "ab" * 32,
    "account": {
        "status": "paid",
        "due_fen": 2100000000,
        "paid_fen": 2100000000,
        "refunded_fen": 0,
        "refund_owed_fen": 0,
        "proof": PROOF_TIMED,
    },
    "entries": [
        {
            "kind": "assessed",
            "amount_fen": 2800000000,
            "due_fen_after": 2800000000,
            "relief_bps": None,
            "reference": None,
            "reference_key": None,
            "at": "2026-12-31T15:59:59Z",
            "late": None,
            "document_hash": "0x" + SHA,
            "proof": PROOF_TIMED | {"block_number": 1001},
        },
        {
            "kind": "relief",
            "amount_fen": 0,
            "due_fen_after": 1400000000,
            "relief_bps": 5000,
            "reference": "AFFORDABLE_HOUSING",
            "reference_key": None,
            "at": None,
            "late": None,
            "document_hash": "0x" + SHA,
            "proof": PROOF_TIMED | {"block_number": 1002},
        },
        {
            "kind": "adjusted",
            "amount_fen": 700000000,
            "due_fen_after": 2100000000,
            "relief_bps": None,
            "reference": "SURVEY_SUPPLEMENT",
            "reference_key": None,
            "at": None,
            "late": None,
            "document_hash": "0x" + SHA,
            "proof": PROOF_TIMED | {"block_number": 1003},
        },
        {
            "kind": "payment",
            "amount_fen": 2100000000,
            "due_fen_after": None,
            "relief_bps": None,
            "reference": "332026000000123456",
            "reference_key": "0x" + "9a" * 32,
            "at": "2026-11-29T01:30:00Z",
            "late": False,
            "document_hash": None,
            "proof": PROOF_TIMED,
        },
    ],
}
VOUCHER = "332026000000123456"
AS_OF = {"chain_id": 31337, "block_number": 1050}
PUBLIC_FEE = {
    "status": "partially_paid",
    "shortfall_area": 140000,
    "rate_fen_per_m2": 200000,
    "rate_table_version": 1,
    "base_fen": 280000000,
    "relief_bps": 0,
    "adjustment_fen": 0,
    "due_fen": 280000000,
    "paid_fen": 100000000,
    "refunded_fen": 0,
    "due_at": "2026-12-31T15:59:59Z",
    "proof": PROOF,
    "assessment_proof": PROOF | {"block_number": 1001, "transaction_hash": "0x" + "aa" * 32},
}
PUBLIC_COMMITMENT = {
    "commitment_number": "CN-2026-000045",
    "kind": "shelter_build",
    "status": "recorded",
    "due_at": "2027-06-30T15:59:59Z",
    "fulfilled_late": False,
    "proof": PROOF | {"log_index": 1},
}
PUBLIC_PROJECT = {
    "project_code": PROJECT,
    "project_key": "0x" + "ab" * 32,
    "name": "金水区商务中心二期",
    "district": "410105",
    "district_name": "金水区",
    "stage": "construction",
    "builder_name_masked": "郑州****有限公司",
    "fee": PUBLIC_FEE,
    "commitments": {"items": [PUBLIC_COMMITMENT], "next_cursor": None},
    "as_of": AS_OF,
}
PUBLIC_PAYMENT = {
    "voucher_number_masked": "3320****3456",
    "amount_fen": 100000000,
    "paid_at": "2026-11-29T01:30:00Z",
    "late": False,
    "proof": PROOF,
}
RECEIPT = {
    "verified": True,
    "voucher_number": VOUCHER,
    "amount_fen": 100000000,
    "paid_at": "2026-11-29T01:30:00Z",
    "late": False,
    "project_code": PROJECT,
    "project_name": "金水区商务中心二期",
    "district_name": "金水区",
    "proof": PROOF,
    "as_of": AS_OF,
}
CHAIN_CHECK = {
    "matches": True,
    "checked_block_number": 1050,
    "detail": "PaymentRecorded of 100000000 fen in block 1042, 8 block(s) below the head",
}

# A random inspection draw (双随机、一公开), revealed, with one outcome: bytes32 values as 0x-hex.
WORD = "0x" + "3c" * 32
DRAW = "0x" + "d7" * 32
CANDIDATES = ["0x" + f"{n:02x}" * 32 for n in (0x11, 0x22, 0x33)]
INSPECTORS = ["0x" + f"{n:02x}" * 32 for n in (0xA1, 0xB2)]
PUBLIC_DRAW = {
    "draw": DRAW,
    "title": "2026年第四季度 人防工程承诺履约随机抽查",
    "attempt": 1,
    "expired_attempts": 0,
    "status": "revealed",
    "pool_hash": WORD,
    "pool_size": 3,
    "roster_hash": WORD,
    "roster_size": 2,
    "commitments_to_pick": 1,
    "inspectors_to_pick": 1,
    "reveal_block": 1040,
    "commitment": WORD,
    "seed": WORD,
    "reveal_block_hash": WORD,
    "selected_commitments": [CANDIDATES[1]],
    "selected_inspectors": [INSPECTORS[0]],
    "problems": [],
    "outcomes": [{"commitment": CANDIDATES[1], "outcome": "conforms", "document_hash": "0x" + SHA, "proof": PROOF}],
    "committed": PROOF,
    "revealed": PROOF,
}
DRAW_POOLS = {
    "draw": DRAW,
    "title": PUBLIC_DRAW["title"],
    "candidates": CANDIDATES,
    "inspectors": INSPECTORS,
    "selection": {"commitments": [CANDIDATES[1]], "inspectors": [INSPECTORS[0]]},
}
