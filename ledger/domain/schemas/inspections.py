"""What /v1/public/inspections answers: every draw, its pools, its selection and its outcomes,
each with its on-chain proof. bytes32 values are 0x-hex."""

from pydantic import BaseModel

from ledger.domain.schemas.common import Proof


class PublicInspectionOutcome(BaseModel):
    commitment: str
    outcome: str  # conforms, minor_findings, false_commitment
    document_hash: str
    proof: Proof


class PublicDraw(BaseModel):
    draw: str
    title: str | None  # None until the office published the pools
    attempt: int
    expired_attempts: int  # attempts nobody revealed in time (each on record as DrawExpired)
    status: str  # committed, revealed
    pool_hash: str
    pool_size: int
    roster_hash: str
    roster_size: int
    commitments_to_pick: int
    inspectors_to_pick: int
    reveal_block: int
    commitment: str
    seed: str | None
    reveal_block_hash: str | None
    # The selection recomputed here from the seed and the published pools (None before the reveal,
    # or while the pools are unpublished or do not match what was committed: see `problems`).
    selected_commitments: list[str] | None
    selected_inspectors: list[str] | None
    problems: list[str]
    outcomes: list[PublicInspectionOutcome]
    committed: Proof
    revealed: Proof | None


class PublicDrawPage(BaseModel):
    items: list[PublicDraw]
    as_of_block: int | None
