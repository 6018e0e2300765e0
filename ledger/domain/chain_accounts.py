"""What the chain holds for a fee account beyond our own commands: the read model's figures.

A migration imports accounts (AccountImported) with paid, refunded and adjusted amounts and a first
assessment time that no command of ours produced, and a levy created before contracts v3 keeps a
wall-clock issue time while the chain holds the imported `assessedAt`. The write path judges
totals and times by these figures where the read model has them. Read through the models: a raw
read of a Uint64 column may return bytes on SQLite (`ledger.db.read_model.from_db`).
"""

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.read_model import FeeAccount, FeeAccountImport
from ledger.domain.common import mirrored_chain_id, project_key_hex


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
    """The accounts of these projects the read model holds, with their imports: one query, whatever
    their number (an import always creates its account, so the outer join misses none)."""
    if not project_codes:
        return {}
    codes = {project_key_hex(code): code for code in project_codes}
    rows = session.execute(
        select(FeeAccount, FeeAccountImport)
        .outerjoin(
            FeeAccountImport,
            and_(
                col(FeeAccountImport.chain_id) == col(FeeAccount.chain_id),
                col(FeeAccountImport.project) == col(FeeAccount.project),
            ),
        )
        .where(col(FeeAccount.chain_id) == mirrored_chain_id(), col(FeeAccount.project).in_(list(codes)))
    ).all()
    accounts: dict[str, FeeAccount] = {}
    imports: dict[str, list[FeeAccountImport]] = {}
    for account, imported in rows:
        accounts[account.project] = account
        imports.setdefault(account.project, []).extend([imported] if imported is not None else [])
    return {
        codes[project]: ChainAccount(
            paid_fen=int(account.paid_fen),
            refunded_fen=int(account.refunded_fen),
            assessed_at=int(account.assessed_at) if account.assessed_at else None,
            due_at=int(account.due_at),
            payer=account.payer,
            imported_paid_fen=sum(int(i.paid_fen) for i in imports[project]),
            imported_refunded_fen=sum(int(i.refunded_fen) for i in imports[project]),
            imported_adjustment_fen=sum(int(i.adjustment_fen) for i in imports[project]),
        )
        for project, account in accounts.items()
    }
