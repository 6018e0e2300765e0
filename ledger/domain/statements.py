"""Our daily statement of payments, and reconciliation against the tax system's."""

from datetime import date

from sqlalchemy.orm import Session

from ledger.domain.schemas import DailyStatement, Reconciliation, TaxStatement


def daily_statement(session: Session, *, day: date) -> DailyStatement:
    raise NotImplementedError


def reconcile(session: Session, *, statement: TaxStatement) -> Reconciliation:
    raise NotImplementedError
