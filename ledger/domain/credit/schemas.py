"""Response models of the credit record and the regulator's views (`XPublic` out)."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

Grade = Literal["A", "B", "C", "D"]


class ProofPublic(BaseModel):
    """Where a figure comes from on chain: enough to look the log up on any node."""

    chain_id: int
    block_number: int
    block_hash: str
    transaction_hash: str
    log_index: int
    block_time: datetime | None  # None only in a read model indexed before block times were kept


class CreditEventPublic(BaseModel):
    kind: str  # fulfilled_on_time, fulfilled_late, marked_overdue, breached, repaired, late_fee_payment, counters_imported
    contribution: int  # points this event adds to the score under the rule set
    score_after: int
    commitment_key: str | None = None
    commitment_number: str | None = None  # where the write model knows it
    project_key: str | None = None
    project_code: str | None = None
    fact_at: datetime | None = None  # when the fact happened, as attested on chain
    counts: dict[str, int] | None = None  # counters_imported: how many events of each kind
    proof: ProofPublic


class CreditRecordPublic(BaseModel):
    enterprise_key: str
    uscc: str | None  # where the write model knows the enterprise
    rule_set: str
    rule_set_label: str
    as_of: datetime | None  # None: everything indexed so far
    start: int
    score: int
    grade: Grade
    events: list[CreditEventPublic]


class EnterpriseCreditPublic(BaseModel):
    enterprise_key: str
    uscc: str | None
    score: int
    grade: Grade
    counts: dict[str, int]  # credit events by kind


class EnterpriseCreditPage(BaseModel):
    rule_set: str
    items: list[EnterpriseCreditPublic]
    next_cursor: str | None


class RuleSetPublic(BaseModel):
    version: str
    label: str
    effective_from: str
    start: int
    weights: dict[str, int]
    grades: list[tuple[str, int]]
    lowest_grade: str
    notes: dict[str, str]


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
    proof: ProofPublic


class CommitmentAlertPage(BaseModel):
    items: list[CommitmentAlertPublic]
    next_cursor: str | None


class MoneyEntryPublic(BaseModel):
    kind: Literal["assessed", "relief", "adjusted", "payment", "refund"]
    amount_fen: int  # assessed: the base; relief: bps in `relief_bps`, 0 here; adjusted: the signed delta; payment / refund: the amount
    due_fen_after: int | None = None  # the amount due after an assessment, relief or adjustment
    relief_bps: int | None = None
    reference: str | None = None  # voucher number / refund reference (where the write model knows it) or reason code
    reference_key: str | None = None  # the voucher's or refund reference's on-chain key
    at: datetime | None = None  # paid_at / refunded_at / due date of an assessment
    late: bool | None = None  # payments: after the fee's due date
    document_hash: str | None = None
    proof: ProofPublic


class FeeAccountPublic(BaseModel):
    status: str
    due_fen: int
    paid_fen: int
    refunded_fen: int
    refund_owed_fen: int
    proof: ProofPublic


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
