"""The regulator's other views, every row with its proof: commitments in trouble, a project's money
trail and fee account (the fee account also in the office's and the enterprise's lists), and
the fees collected."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from ledger.domain.schemas.common import ProofWithBlockTime


class CommitmentAlertPublic(BaseModel):
    """An overdue or breached commitment, with the proof of the event that made it so."""

    commitment_key: str
    commitment_number: str | None
    project_key: str
    project_code: str | None
    enterprise_key: str
    uscc: str | None
    kind: str
    status: Literal["overdue", "breached"]
    due_at: datetime
    proof: ProofWithBlockTime


class CommitmentAlertPage(BaseModel):
    items: list[CommitmentAlertPublic]
    next_cursor: str | None


class MoneyEntryPublic(BaseModel):
    kind: Literal["assessed", "relief", "adjusted", "payment", "refund"]
    # assessed: the base; relief: bps in `relief_bps`, 0 here; adjusted: the signed delta; payment / refund: the amount
    amount_fen: int
    due_fen_after: int | None = None  # the amount due after an assessment, relief or adjustment
    relief_bps: int | None = None
    reference: str | None = None  # voucher number / refund reference (where the write model knows it) or reason code
    reference_key: str | None = None  # the voucher's or refund reference's on-chain key
    at: datetime | None = None  # paid_at / refunded_at / due date of an assessment
    late: bool | None = None  # payments: after the fee's due date
    document_hash: str | None = None
    proof: ProofWithBlockTime


class FeeAccountPublic(BaseModel):
    status: str
    due_fen: int
    paid_fen: int
    refunded_fen: int
    refund_owed_fen: int
    proof: ProofWithBlockTime


class MoneyTrailPublic(BaseModel):
    project_code: str
    project_key: str
    account: FeeAccountPublic | None
    entries: list[MoneyEntryPublic]  # in chain order


class CollectionRow(BaseModel):
    key: str  # district code (e.g. 410105) or month (YYYY-MM)
    label: str
    amount_fen: int  # paid less refunded


class CollectionPublic(BaseModel):
    by_district: list[CollectionRow]
    by_month: list[CollectionRow]


class ReconciliationRunPublic(BaseModel):
    """One reconciliation run (ledger.domain.reconciliation): its counts by finding kind and what it looked at."""

    run_id: int
    trigger: str  # daily, on_demand, cli
    requested_by: str
    status: Literal["requested", "running", "done", "failed"]
    requested_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]
    total: int
    checked: dict[str, int | str]
    error: str | None
    waiting: int  # runs requested and not started yet


class ReconciliationFindingPublic(BaseModel):
    kind: str
    subject: str
    project_code: str | None
    detail: str
    proofs: list[str]  # transaction hashes
