"""The baseline of `python -m devtools bench public`: a bare FastAPI endpoint answering JSON of the same shape
and size as a public project — no database, no cache, no rate limit, no validation of the code.
`uvicorn devtools.bench.bare_public:app`."""

from fastapi import FastAPI

app = FastAPI()

PROOF = {
    "chain_id": 31337,
    "block_number": 1042,
    "block_hash": "0x" + "cd" * 32,
    "transaction_hash": "0x" + "ef" * 32,
    "log_index": 0,
}
FEE = {
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
}
COMMITMENT = {
    "commitment_number": "CN-2026-000045",
    "kind": "shelter_build",
    "status": "recorded",
    "due_at": "2027-06-30T15:59:59Z",
    "fulfilled_late": False,
    "proof": PROOF,
}


@app.get("/bare/projects/{project_code}")
async def project(project_code: str) -> dict:
    return {
        "project_code": project_code,
        "project_key": "0x" + "ab" * 32,
        "name": "金水区商务中心二期",
        "district": "410105",
        "district_name": "金水区",
        "stage": "construction",
        "builder_name_masked": "郑州****有限公司",
        "fee": FEE | {"assessment_proof": PROOF},
        "commitments": {"items": [COMMITMENT, COMMITMENT], "next_cursor": None},
        "as_of": {"chain_id": 31337, "block_number": 1050},
    }
