"""Our daily statement of payments, and reconciliation against the tax system's statement.

A day is a calendar day in Asia/Shanghai by the payment's `paid_at`. Ours lists every
confirmation we accepted whose command did not fail (a failed one never reached the chain).
The tax system's statement is kept as it last posted it, for the three-way reconciliation
against the chain (ledger.domain.reconciliation).
"""

import time
from datetime import date

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.supervision_model import TaxStatementLine
from ledger.db.write_model import OutboxCommand
from ledger.db.write_model import PaymentConfirmation as ConfirmationRow
from ledger.domain.common import day_bounds, from_unix, unix
from ledger.domain.schemas.tax import AmountMismatch, DailyStatement, Reconciliation, StatementItem, TaxStatement
from ledger.outbox.commands import FAILED


def daily_statement(session: Session, *, day: date) -> DailyStatement:
    start, end = day_bounds(day)
    rows = session.execute(
        select(
            col(ConfirmationRow.voucher_number),
            col(ConfirmationRow.levy_number),
            col(ConfirmationRow.amount_fen),
            col(ConfirmationRow.paid_at),
        )
        .join(OutboxCommand, col(OutboxCommand.id) == col(ConfirmationRow.command_id))
        .where(
            col(ConfirmationRow.paid_at) >= start,
            col(ConfirmationRow.paid_at) < end,
            col(OutboxCommand.status) != FAILED,
        )
        .order_by(col(ConfirmationRow.paid_at), col(ConfirmationRow.voucher_number))
    ).all()
    items = [
        StatementItem(
            voucher_number=r.voucher_number,
            levy_number=r.levy_number,
            amount_fen=r.amount_fen,
            paid_at=from_unix(r.paid_at),
        )
        for r in rows
    ]
    return DailyStatement(day=day, count=len(items), total_fen=sum(i.amount_fen for i in items), items=items)


def reconcile(session: Session, *, statement: TaxStatement) -> Reconciliation:
    """Match the tax system's statement of a day against ours by voucher number; the statement is kept
    (replacing one posted earlier for the day)."""
    _keep(session, statement)
    ours = {item.voucher_number: item.amount_fen for item in daily_statement(session, day=statement.day).items}
    theirs = {item.voucher_number: item.amount_fen for item in statement.items}
    mismatches = [
        AmountMismatch(voucher_number=v, ours_fen=ours[v], theirs_fen=theirs[v])
        for v in sorted(ours.keys() & theirs.keys())
        if ours[v] != theirs[v]
    ]
    missing_here = sorted(theirs.keys() - ours.keys())
    missing_there = sorted(ours.keys() - theirs.keys())
    matched = len(ours.keys() & theirs.keys()) - len(mismatches)
    return Reconciliation(
        day=statement.day,
        matched=matched,
        missing_here=missing_here,
        missing_there=missing_there,
        amount_mismatches=mismatches,
        clean=not (missing_here or missing_there or mismatches),
    )


def _keep(session: Session, statement: TaxStatement) -> None:
    session.execute(delete(TaxStatementLine).where(col(TaxStatementLine.day) == statement.day))
    received = time.time()
    # a voucher listed twice counts once (its last line), as in the matching above
    lines = {item.voucher_number: item for item in statement.items}
    if lines:
        session.execute(
            insert(TaxStatementLine),
            [
                {
                    "day": statement.day,
                    "voucher_number": item.voucher_number,
                    "levy_number": item.levy_number,
                    "amount_fen": item.amount_fen,
                    "paid_at": unix(item.paid_at),
                    "received_at": received,
                }
                for item in lines.values()
            ],
        )
