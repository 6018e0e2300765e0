"""Four-eyes (四眼原则) for reductions: a relief or 核减 that would lower a levy by more than the
threshold (PortalSettings.second_officer_above_fen, ¥100,000 by default) is held as "awaiting a
second officer"; another office user's approval makes it, through fees.adjust_fee, with the
requester as its actor. Below the threshold, and for supplementary charges (补缴, which raise the
levy), the adjustment is made at once. The JSON route /v1/office/adjustments does not pass here yet."""

import time
import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.write_model import OfficeApproval
from ledger.domain import fees
from ledger.domain.errors import InvalidState, NotFound
from ledger.domain.rates import FULL_RELIEF_BPS, reduction_percent, relief_fen
from ledger.domain.schemas.common import CommandAccepted
from ledger.domain.schemas.office import AdjustmentCreate

AWAITING, APPROVED = "awaiting", "approved"


def reduction_fen(session: Session, *, adjustment: AdjustmentCreate) -> int:
    """How much the adjustment would lower the levy (0 for a supplementary charge)."""
    if adjustment.delta_fen is not None:
        return max(0, -adjustment.delta_fen)
    preview = fees.preview_assessment(session, project_code=adjustment.project_code)
    bps = (reduction_percent(adjustment.reason_code) or 0) * FULL_RELIEF_BPS // 100
    return max(0, relief_fen(preview.base_fen, bps) - preview.relief_fen)


def request_adjustment(
    session: Session, *, adjustment: AdjustmentCreate, actor: str, threshold_fen: int
) -> CommandAccepted | OfficeApproval:
    """The adjustment made now (its command), or held for a second officer (the approval row)."""
    reduction = reduction_fen(session, adjustment=adjustment)
    if reduction <= threshold_fen:
        return fees.adjust_fee(session, adjustment=adjustment, actor=actor)
    approval = OfficeApproval(
        id=uuid.uuid4().hex,
        project_code=adjustment.project_code,
        reason_code=adjustment.reason_code,
        delta_fen=adjustment.delta_fen,
        document_sha256=adjustment.document_sha256,
        reduction_fen=reduction,
        requested_by=actor,
        requested_at=time.time(),
        status=AWAITING,
    )
    session.add(approval)
    session.flush()
    return approval


def awaiting(session: Session) -> list[OfficeApproval]:
    return list(
        session.execute(
            select(OfficeApproval)
            .where(col(OfficeApproval.status) == AWAITING)
            .order_by(col(OfficeApproval.requested_at))
        ).scalars()
    )


def get_approval(session: Session, *, approval_id: str) -> OfficeApproval:
    approval = session.get(OfficeApproval, approval_id)
    if approval is None:
        raise NotFound(f"no approval {approval_id}", field="approval_id", rule="known_approval")
    return approval


def approve(session: Session, *, approval_id: str, approver: str) -> CommandAccepted:
    """The second officer approves: the held adjustment is made (its command enqueued)."""
    approval = get_approval(session, approval_id=approval_id)
    if approver == approval.requested_by:
        raise InvalidState(
            "the officer who requested a reduction cannot approve it", field="approval_id", rule="second_officer"
        )
    # Claimed by one conditional UPDATE, not read-then-write: of two approvals at once (two officers, a
    # double click) one finds the row no longer awaiting, so the reduction is never enqueued twice.
    approved_at = time.time()
    claimed = (
        session.connection()
        .execute(
            update(OfficeApproval)
            .where(col(OfficeApproval.id) == approval_id, col(OfficeApproval.status) == AWAITING)
            .values(status=APPROVED, approved_by=approver, approved_at=approved_at)
        )
        .rowcount
    )
    if claimed != 1:
        session.refresh(approval)
        raise InvalidState(
            f"approval {approval_id} was {approval.status} already", field="approval_id", rule="awaiting"
        )
    accepted = fees.adjust_fee(
        session,
        adjustment=AdjustmentCreate(
            project_code=approval.project_code,
            reason_code=approval.reason_code,
            delta_fen=approval.delta_fen,
            document_sha256=approval.document_sha256,
        ),
        actor=approval.requested_by,
    )
    approval.status, approval.approved_by, approval.approved_at = APPROVED, approver, approved_at
    approval.command_id = accepted.command_id
    session.flush()
    return accepted
