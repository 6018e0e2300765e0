"""Four-eyes (四眼原则) for reductions: every path that lowers a levy (the portal's form, the JSON
route /v1/office/adjustments) asks here, and a relief or 核减 is held as "awaiting a second officer"
when the levy's cumulative reduction would pass the threshold (PortalSettings.second_officer_above_fen,
¥100,000 by default). Cumulative: the relief and 核减 already made on the levy, the reductions still
awaiting approval, and this one, so that splitting a reduction into parts under the threshold does not
escape it. Another office user's approval makes it, through fees.adjust_fee, with the requester as its
actor — and only if the levy and its relief are still what the requester saw. A supplementary charge
(补缴, which raises the levy) is made at once."""

import time
import uuid

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.write_model import OfficeApproval, Project
from ledger.domain import fees
from ledger.domain.errors import InvalidState, NotFound
from ledger.domain.fees import AssessmentPreview
from ledger.domain.rates import FULL_RELIEF_BPS, reduction_percent, relief_fen
from ledger.domain.schemas.common import CommandAccepted
from ledger.domain.schemas.office import AdjustmentCreate, AdjustmentHeld

AWAITING, APPROVED, DECLINED = "awaiting", "approved", "declined"


def reduction_fen(preview: AssessmentPreview, *, adjustment: AdjustmentCreate) -> int:
    """How much the adjustment would lower the levy (0 for a supplementary charge)."""
    if adjustment.delta_fen is not None:
        return max(0, -adjustment.delta_fen)
    bps = (reduction_percent(adjustment.reason_code) or 0) * FULL_RELIEF_BPS // 100
    return max(0, relief_fen(preview.base_fen, bps) - preview.relief_fen)


def awaiting_fen(session: Session, *, project_code: str) -> int:
    """The reductions of the project's levy that wait for a second officer."""
    return int(
        session.execute(
            select(func.coalesce(func.sum(col(OfficeApproval.reduction_fen)), 0)).where(
                col(OfficeApproval.project_code) == project_code, col(OfficeApproval.status) == AWAITING
            )
        ).scalar_one()
    )


def request_adjustment(
    session: Session, *, adjustment: AdjustmentCreate, actor: str, threshold_fen: int
) -> CommandAccepted | AdjustmentHeld:
    """The adjustment made now (its command), or held for a second officer."""
    _lock_project(session, adjustment.project_code)
    preview = fees.preview_assessment(session, project_code=adjustment.project_code)
    reduction = reduction_fen(preview, adjustment=adjustment)
    # made so far: the relief and the 核减 on the levy (reductions_fen is ≤ 0)
    cumulative = (
        preview.relief_fen
        - preview.reductions_fen
        + awaiting_fen(session, project_code=adjustment.project_code)
        + reduction
    )
    if reduction == 0 or cumulative <= threshold_fen:
        return fees.adjust_fee(session, adjustment=adjustment, actor=actor)
    fees.check_adjustment(session, adjustment=adjustment)  # held only if it could be made now
    approval = OfficeApproval(
        id=uuid.uuid4().hex,
        project_code=adjustment.project_code,
        reason_code=adjustment.reason_code,
        delta_fen=adjustment.delta_fen,
        document_sha256=adjustment.document_sha256,
        reduction_fen=reduction,
        levy_fen=preview.levy_fen,
        relief_bps=preview.relief_bps,
        requested_by=actor,
        requested_at=time.time(),
        status=AWAITING,
    )
    session.add(approval)
    session.flush()
    return AdjustmentHeld(
        approval_id=approval.id,
        project_code=approval.project_code,
        reduction_fen=reduction,
        cumulative_reduction_fen=cumulative,
        threshold_fen=threshold_fen,
    )


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
    """The second officer approves: the held adjustment is made (its command enqueued), exactly as
    requested — a levy or relief that changed since is refused, never a different amount applied."""
    approval = get_approval(session, approval_id=approval_id)
    if approver == approval.requested_by:
        raise InvalidState(
            "the officer who requested a reduction cannot approve it", field="approval_id", rule="second_officer"
        )
    _lock_project(session, approval.project_code)
    if approval.status == AWAITING:
        _check_unchanged(session, approval)
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


def decline(session: Session, *, approval_id: str, by: str) -> OfficeApproval:
    """Any office user closes a held reduction without making it: the requester withdraws it, a second
    officer declines it (e.g. refused at approval because the levy changed since). It leaves the queue
    and no longer counts toward the levy's cumulative reduction."""
    approval = get_approval(session, approval_id=approval_id)
    declined = (
        session.connection()
        .execute(
            update(OfficeApproval)
            .where(col(OfficeApproval.id) == approval_id, col(OfficeApproval.status) == AWAITING)
            .values(status=DECLINED, declined_by=by, declined_at=time.time())
        )
        .rowcount
    )
    session.refresh(approval)
    if declined != 1:
        raise InvalidState(
            f"approval {approval_id} was {approval.status} already", field="approval_id", rule="awaiting"
        )
    return approval


def _check_unchanged(session: Session, approval: OfficeApproval) -> None:
    """The second officer approves what the first one saw: the levy, its relief and the reduction."""
    preview = fees.preview_assessment(session, project_code=approval.project_code)
    code = approval.project_code
    if approval.levy_fen != preview.levy_fen:  # None: requested before 0018 kept the levy
        raise InvalidState(
            f"the levy of {code} was {approval.levy_fen} fen when the reduction was requested and is "
            f"{preview.levy_fen} fen now (reassessed, or another adjustment made): request it again",
            field="approval_id",
            rule="levy_unchanged",
        )
    if approval.relief_bps != preview.relief_bps:
        raise InvalidState(
            f"the relief of {code} was {approval.relief_bps} basis points when the reduction was requested "
            f"and is {preview.relief_bps} now: request it again",
            field="approval_id",
            rule="relief_unchanged",
        )
    now = reduction_fen(
        preview,
        adjustment=AdjustmentCreate(
            project_code=code,
            reason_code=approval.reason_code,
            delta_fen=approval.delta_fen,
            document_sha256=approval.document_sha256,
        ),
    )
    if now != approval.reduction_fen:
        raise InvalidState(
            f"the reduction would now be {now} fen, not the {approval.reduction_fen} fen requested "
            "(the reduction policy changed): request it again",
            field="approval_id",
            rule="reduction_unchanged",
        )


def _lock_project(session: Session, project_code: str) -> None:
    """Requests and approvals on one project take turns (PostgreSQL row lock; SQLite writes one at a
    time anyway): two requests at once each count the other's reduction."""
    session.execute(
        select(col(Project.project_code)).where(col(Project.project_code) == project_code).with_for_update()
    )
