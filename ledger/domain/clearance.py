"""Is a project clear? Fee status and commitments from the read model, each reason with its on-chain proof.

The answer is read from the mirror of the chain (never the write model's hopes): a payment
counts once it is indexed, and commands still on their way are a reason of their own.
"""

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.read_model import Commitment as CommitmentView
from ledger.db.read_model import FeeAccount
from ledger.db.write_model import CommitmentRecord, OutboxCommand
from ledger.domain.common import get_project_row, proof_of, read_model_chain_id
from ledger.domain.rates import shortfall
from ledger.domain.schemas.approval import Clearance, ClearanceReason
from ledger.outbox.commands import ACCEPTED, MINED, SUBMITTED

OPEN_STATUSES = {"recorded", "extended"}
BLOCKING_STATUSES = {"overdue": "commitment_overdue", "breached": "commitment_breached"}


def clearance(session: Session, *, project_code: str) -> Clearance:
    project = get_project_row(session, project_code)
    chain_id = read_model_chain_id(session)
    reasons: list[ClearanceReason] = []
    account = None
    if chain_id is not None:
        account = (
            session.execute(
                select(FeeAccount).where(
                    col(FeeAccount.chain_id) == chain_id, col(FeeAccount.project) == project.project_key
                )
            )
            .scalars()
            .first()
        )
    account_proof = proof_of(account.chain_id, account) if account else None
    fee_status = account.status if account else "unassessed"
    if account is None and shortfall(project.required_shelter_area, project.built_shelter_area) > 0:
        reasons.append(
            ClearanceReason(
                code="fee_unassessed",
                reference=project_code,
                detail="the shelter shortfall has not been assessed on chain",
            )
        )
    elif account is not None and account.status in ("assessed", "partially_paid"):
        reasons.append(
            ClearanceReason(
                code="fee_outstanding",
                reference=project_code,
                proof=account_proof,
                detail=f"{account.due_fen - account.paid_fen + account.refunded_fen} fen "
                f"of {account.due_fen} fen unpaid",
            )
        )
    numbers = dict(
        session.execute(
            select(col(CommitmentRecord.commitment_key), col(CommitmentRecord.commitment_number)).where(
                col(CommitmentRecord.project_code) == project_code
            )
        )
        .tuples()
        .all()
    )
    open_commitments, overdue = [], []
    if chain_id is not None and numbers:
        views = session.execute(
            select(CommitmentView).where(
                col(CommitmentView.chain_id) == chain_id, col(CommitmentView.commitment).in_(list(numbers))
            )
        ).scalars()
        for view in sorted(views, key=lambda v: numbers[v.commitment]):
            number = numbers[view.commitment]
            if view.status in OPEN_STATUSES:
                open_commitments.append(number)
            if view.status == "overdue":
                overdue.append(number)
            if view.status in BLOCKING_STATUSES:
                reasons.append(
                    ClearanceReason(
                        code=BLOCKING_STATUSES[view.status],
                        reference=number,
                        proof=proof_of(chain_id, view),
                        detail=f"commitment {number} is {view.status}",
                    )
                )
    pending = session.execute(
        select(func.count())
        .select_from(OutboxCommand)
        .where(
            col(OutboxCommand.project_code) == project_code, col(OutboxCommand.status).in_([ACCEPTED, SUBMITTED, MINED])
        )
    ).scalar_one()
    if pending:
        reasons.append(
            ClearanceReason(
                code="chain_pending",
                reference=project_code,
                detail=f"{pending} accepted command(s) are not yet on chain and indexed",
            )
        )
    return Clearance(
        project_code=project_code,
        clear=not reasons,
        fee_status=fee_status,
        due_fen=account.due_fen if account else 0,
        paid_fen=account.paid_fen if account else 0,
        open_commitments=open_commitments,
        overdue_commitments=overdue,
        reasons=reasons,
        proof=account_proof,
    )
