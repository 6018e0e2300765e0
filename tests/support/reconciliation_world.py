"""A reconciliation finding planted in a database: a line of the tax system's statement the chain does
not hold (payment_missing_on_chain), and its removal (tests/ledger/cli/test_reconcile.py,
tests/portal/test_regulator_pages.py)."""

from datetime import date

from sqlalchemy import Engine, delete
from sqlmodel import Session

from ledger.db.supervision_model import TaxStatementLine

STATEMENT_DAY = date(2026, 11, 30)


def plant_voucher_not_on_chain(engine: Engine, voucher_number: str, *, amount_fen: int = 100) -> str:
    """A statement line of STATEMENT_DAY for `voucher_number`, which no payment on chain matches."""
    with Session(engine) as s:
        s.add(
            TaxStatementLine(
                day=STATEMENT_DAY,
                voucher_number=voucher_number,
                levy_number=f"L-{voucher_number}",
                amount_fen=amount_fen,
                paid_at=1_764_468_000,  # 2026-11-30 10:00 in Shanghai
                received_at=0,
            )
        )
        s.commit()
    return voucher_number


def remove_statements(engine: Engine) -> None:
    with Session(engine) as s:
        s.execute(delete(TaxStatementLine))
        s.commit()
