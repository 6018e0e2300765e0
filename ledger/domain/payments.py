"""Payment confirmations and refunds from the tax system, and the feed of levies to collect."""

from sqlalchemy.orm import Session

from ledger.domain.schemas import (CommandAccepted, LevyPage, LevyPublic, PaymentBatch, PaymentBatchResult,
                                   PaymentConfirmation, PaymentPublic, RefundCreate)


def confirm_payment(session: Session, *, confirmation: PaymentConfirmation, client: str) -> CommandAccepted:
    raise NotImplementedError


def confirm_payments(session: Session, *, batch: PaymentBatch, client: str) -> PaymentBatchResult:
    raise NotImplementedError


def record_refund(session: Session, *, refund: RefundCreate, client: str) -> CommandAccepted:
    raise NotImplementedError


def levies_feed(session: Session, *, cursor: str | None = None, limit: int = 100) -> LevyPage:
    raise NotImplementedError


def levies_of_enterprise(session: Session, *, uscc: str) -> list[LevyPublic]:
    raise NotImplementedError


def payments_of_enterprise(session: Session, *, uscc: str) -> list[PaymentPublic]:
    raise NotImplementedError
