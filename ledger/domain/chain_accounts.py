"""What the chain holds for a fee account beyond our own commands: the read model's figures.

A migration imports accounts (AccountImported) with paid, refunded and adjusted amounts and a first
assessment time that no command of ours produced, and a levy created before contracts v3 keeps a
wall-clock issue time while the chain holds the imported `assessedAt`. The write path judges
totals and times by these figures where the read model has them. Read through the models: a raw
read of a Uint64 column may return bytes on SQLite (`ledger.db.models.from_db`).
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.db.models import FeeAccount, FeeAccountImport
from ledger.domain.common import project_key_hex, read_model_chain_id


@dataclass(frozen=True)
class ChainAccount:
    paid_fen: int  # the read model's account totals (imported + indexed live writes)
    refunded_fen: int
    assessed_at: int | None  # the first assessment's fact time the chain keeps (None: assessed on v2)
    due_at: int  # the due date the chain keeps (a reassessment sends it again)
    payer: str | None
    imported_paid_fen: int  # what the migration's imports carried
    imported_refunded_fen: int
    imported_adjustment_fen: int


def chain_account(session: Session, project_code: str) -> ChainAccount | None:
    """The project's account on the chain the read model mirrors, or None when it holds none."""
    return chain_accounts(session, {project_code}).get(project_code)


def chain_accounts(session: Session, project_codes: set[str]) -> dict[str, ChainAccount]:
    """The accounts of these projects the read model holds (two queries, whatever their number)."""
    chain_id = read_model_chain_id(session)
    if chain_id is None or not project_codes:
        return {}
    codes = {project_key_hex(code): code for code in project_codes}
    accounts = {a.project: a for a in session.execute(select(FeeAccount).where(
        FeeAccount.chain_id == chain_id, FeeAccount.project.in_(list(codes)))).scalars()}
    imports: dict[str, list[FeeAccountImport]] = {}
    for row in session.execute(select(FeeAccountImport).where(FeeAccountImport.chain_id == chain_id,
                                                              FeeAccountImport.project.in_(list(codes)))).scalars():
        imports.setdefault(row.project, []).append(row)
    found = {}
    for project in accounts.keys() | imports.keys():
        account, imported = accounts.get(project), imports.get(project, [])
        found[codes[project]] = ChainAccount(
            paid_fen=int(account.paid_fen) if account else 0,
            refunded_fen=int(account.refunded_fen) if account else 0,
            assessed_at=int(account.assessed_at) if account and account.assessed_at else None,
            due_at=int(account.due_at) if account else 0, payer=account.payer if account else None,
            imported_paid_fen=sum(int(i.paid_fen) for i in imported),
            imported_refunded_fen=sum(int(i.refunded_fen) for i in imported),
            imported_adjustment_fen=sum(int(i.adjustment_fen) for i in imported))
    return found
