"""What /v1/public/inspections answers: every draw, its pools, its selection and its outcomes,
each with its on-chain proof. bytes32 values are 0x-hex."""

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ledger.core.identifiers import Reference
from ledger.domain.schemas.common import CommandAccepted, Proof


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
    # What the pool was built from, when the office ran the draw through the ledger (ledger.domain.draw_office):
    # the commitments fulfilled from period_start to period_end (inclusive), of this kind, in this district.
    draw_number: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    commitment_kind: str | None = None
    district: str | None = None
    # The commitment numbers of the selected and inspected commitments (key → number), where the ledger knows them.
    commitment_numbers: dict[str, str] = {}


class PublicDrawPage(BaseModel):
    items: list[PublicDraw]
    as_of_block: int | None


# -- the office runs a draw (ledger.domain.draw_office) ------------------------------------------

InspectionOutcomeName = Literal["conforms", "minor_findings", "false_commitment"]
CommitmentKindName = Literal["shelter_build", "fee_payment", "materials", "peacetime_use"]
RevealInBlocks = Annotated[
    int,
    Field(
        ge=20,
        le=100_000,
        description="How many blocks after the chain's latest the reveal block is: at least "
        "InspectionDraws.MIN_REVEAL_DELAY (10) plus a margin of 10 for the writer to mine the commitment.",
    ),
]


class DrawCreate(BaseModel):
    """A draw the office commits: its candidate pool is built from the read model (the commitments
    fulfilled from `period_start` to `period_end`, Shanghai days inclusive, of `commitment_kind` in
    `district`; omitted: every kind, every district), its roster from the inspectors' codes."""

    model_config = ConfigDict(extra="forbid")

    draw_number: Reference
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    period_start: date
    period_end: date
    commitment_kind: CommitmentKindName | None = None
    district: Annotated[str, StringConstraints(pattern=r"^\d{6}$")] | None = None
    inspectors: Annotated[
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]],
        Field(min_length=1, max_length=1000),
    ]
    commitments_to_pick: Annotated[int, Field(ge=1, le=10_000)]
    inspectors_to_pick: Annotated[int, Field(ge=1, le=1000)]
    reveal_in_blocks: RevealInBlocks = 20


class DrawRecommit(BaseModel):
    """A draw nobody revealed in its window, committed again: the same pools and picks (the contract
    allows nothing else), a new reveal block."""

    model_config = ConfigDict(extra="forbid")

    reveal_in_blocks: RevealInBlocks = 20


class DrawAccepted(CommandAccepted):
    draw: str  # the on-chain identifier (keccak256 of the draw number), 0x-hex
    # At the earliest: the writer sets the reveal block when it sends the commitment (the chain's head then
    # plus reveal_in_blocks); the draw's page and its DrawCommitted event carry the final one.
    reveal_block: int = Field(
        description="The reveal block at the earliest: the chain's latest block at acceptance plus "
        "reveal_in_blocks. The writer counts from the latest block when it sends the commitment, so a command "
        "that waited lands all the same; the draw's page (GET /v1/office/draws) and the DrawCommitted event "
        "carry the final one."
    )
    reveal_in_blocks: int = Field(
        description="Blocks from the one the commitment is sent at to the reveal block (as requested)."
    )
    pool_size: int
    roster_size: int


class OfficeDrawPublic(BaseModel):
    """A draw the office ran, as its workspace lists it."""

    draw_number: str
    draw: str
    title: str
    period_start: date
    period_end: date
    commitment_kind: str | None
    district: str | None
    commitments_to_pick: int
    inspectors_to_pick: int
    reveal_block: int
    status: str  # pending (commitment on its way), committed, revealed, expired, failed
    command_id: str
    outcomes_recorded: int = 0  # outcomes queued or on chain (not failed)

    @property
    def open(self) -> bool:
        """Work left for the office: to reveal, to commit again (expired unrevealed), or selected
        commitments still to inspect."""
        return self.status in ("pending", "committed", "expired") or (
            self.status == "revealed" and self.outcomes_recorded < self.commitments_to_pick
        )


class SelectedCommitment(BaseModel):
    """One commitment a revealed draw selected, as the office's draw page lists it."""

    commitment_number: str
    commitment: str  # its on-chain key, 0x-hex
    outcome: str | None  # conforms, minor_findings, false_commitment; None: not recorded yet
    command_id: str | None  # the outcome's command, when the office recorded it through the ledger
