"""The tax system's schemas: payment confirmations (one or a batch) and refunds, the levies it
collects, and the daily statement and its reconciliation."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ledger.core.identifiers import LevyNumber, ReasonCode, Reference, Uscc
from ledger.domain.schemas.common import MAX_BATCH, Day, Fen, Input, Moment


class PaymentConfirmation(Input):
    """The tax system confirms that a levy was paid (one 电子缴款凭证)."""

    levy_number: LevyNumber
    voucher_number: Reference
    amount_fen: Fen
    paid_at: Moment
    payer_uscc: Uscc


class PaymentBatch(Input):
    items: Annotated[list[PaymentConfirmation], Field(min_length=1, max_length=MAX_BATCH)]


class RefundCreate(Input):
    refund_reference: Reference
    levy_number: LevyNumber
    amount_fen: Fen
    refunded_at: Moment
    # None: an ordinary refund of the excess; else a reason code governance allowed to go beyond it.
    reason_code: ReasonCode | None = None


class ItemProblem(BaseModel):
    type: str
    field: str | None = None
    rule: str | None = None
    detail: str


class PaymentItemResult(BaseModel):
    index: int
    voucher_number: str
    accepted: bool
    command_id: str | None = None
    problem: ItemProblem | None = None


class PaymentBatchResult(BaseModel):
    accepted: int
    rejected: int
    items: list[PaymentItemResult]


class LevyPublic(BaseModel):
    levy_number: str
    project_code: str
    payer_uscc: str
    kind: Literal["assessment", "supplementary"]
    amount_fen: int
    confirmed_fen: int  # sum of payment confirmations received for it
    status: Literal["open", "paid", "cancelled"]
    created_at: datetime


class LevyPage(BaseModel):
    items: list[LevyPublic]
    next_cursor: str | None


class StatementItem(Input):
    voucher_number: Reference
    levy_number: Reference
    amount_fen: Fen
    paid_at: Moment


class DailyStatement(BaseModel):
    day: date  # Asia/Shanghai
    count: int
    total_fen: int
    items: list[StatementItem]


class TaxStatement(Input):
    """The tax system's own statement of a day's payments."""

    day: Day
    items: Annotated[list[StatementItem], Field(max_length=100_000)]


class AmountMismatch(BaseModel):
    voucher_number: str
    ours_fen: int
    theirs_fen: int


class Reconciliation(BaseModel):
    day: date
    matched: int
    missing_here: list[str]  # vouchers in their statement we have no confirmation of
    missing_there: list[str]  # vouchers we recorded that their statement lacks
    amount_mismatches: list[AmountMismatch]
    clean: bool
