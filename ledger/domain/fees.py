"""Fee assessment from the rate tables published on chain, relief (减免) and adjustments (补缴 / 核减).

FeeLedger v2 keeps relief (a share of the base, in basis points) and fixed adjustments across
reassessments: due = max(0, base − relief + adjustments). The levies the tax system collects
follow the same rule: the assessment levy carries base − relief + the reductions, and each
supplementary charge (a positive adjustment) is a levy of its own.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import orjson
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.chain.rate_tables import is_sample_basis
from ledger.core.identifiers import reason_code
from ledger.db.write_model import AdjustmentRequest, Levy, OutboxCommand, Project
from ledger.domain import chain_time
from ledger.domain.chain_accounts import chain_account
from ledger.domain.common import end_of_day, enterprise_key_hex, get_project_row, project_key_hex, sha_hex, today
from ledger.domain.errors import InvalidState, ValidationFailed
from ledger.domain.rates import (
    FULL_RELIEF_BPS,
    Rate,
    fee_fen,
    known_reason,
    rate_at,
    rate_for,
    reduction_percent,
    relief_fen,
    shortfall,
)
from ledger.domain.schemas.common import CommandAccepted
from ledger.domain.schemas.office import AdjustmentCreate, FeeAssessmentCreate
from ledger.domain.schemas.public import FeeEstimate
from ledger.outbox.commands import FAILED, NewCommand, enqueue

MIN_NOTICE_SECONDS = 86_400  # FeeLedger.MIN_NOTICE
MAX_HORIZON_SECONDS = 3650 * 86_400  # FeeLedger.MAX_HORIZON
MAX_UINT64, MAX_INT64 = 2**64 - 1, 2**63 - 1
FEE_DUE_DAYS = 30  # a fee is due this many days after its assessment unless the office says otherwise


def estimate_fee(
    session: Session,
    *,
    district: str,
    required_shelter_area: int,
    built_shelter_area: int,
    effective_on: date | None = None,
) -> FeeEstimate:
    """What the fee would be (the portal's estimator); writes nothing."""
    rate = _rate(session, district, effective_on or today())
    area = shortfall(required_shelter_area, built_shelter_area)
    return FeeEstimate(
        district=district,
        shortfall_area=area,
        rate_fen_per_m2=rate.rate_fen_per_m2,
        rate_table_version=rate.version,
        amount_fen=fee_fen(area, rate.rate_fen_per_m2),
        basis=rate.basis_hash,
        sample=is_sample_basis(rate.basis_hash),
    )


@dataclass(frozen=True)
class AssessmentPreview:
    """What assess_fee would charge now, step by step (the office's confirmation page)."""

    project_code: str
    shortfall_area: int  # 0.01 m²
    rate_fen_per_m2: int
    rate_table_version: int
    sample_rate_table: bool
    base_fen: int  # round_half_up(area × rate)
    relief_bps: int
    relief_fen: int
    reductions_fen: int  # fixed reductions so far (≤ 0)
    levy_fen: int  # max(0, base − relief + reductions): the assessment levy
    reassessment: bool


def preview_assessment(session: Session, *, project_code: str) -> AssessmentPreview:
    """The calculation assess_fee makes, without writing: the rate of the table in effect at the
    fact time (the first assessment's, or now), then relief and the reductions made so far."""
    project = get_project_row(session, project_code)
    first = _first_assessment(session, project.project_code)
    fact_time = first["assessed_at"] if first else min(int(time.time()), chain_time.chain_clock().latest_allowed())
    rate = _rate_at(session, project.district, fact_time)
    area = shortfall(project.required_shelter_area, project.built_shelter_area)
    base = fee_fen(area, rate.rate_fen_per_m2)
    bps = _current_relief_bps(session, project.project_code)
    reductions = _reductions_fen(session, project.project_code)
    return AssessmentPreview(
        project_code=project.project_code,
        shortfall_area=area,
        rate_fen_per_m2=rate.rate_fen_per_m2,
        rate_table_version=rate.version,
        sample_rate_table=is_sample_basis(rate.basis_hash),
        base_fen=base,
        relief_bps=bps,
        relief_fen=relief_fen(base, bps),
        reductions_fen=reductions,
        levy_fen=max(0, base - relief_fen(base, bps) + reductions),
        reassessment=first is not None,
    )


def assess_fee(session: Session, *, assessment: FeeAssessmentCreate, actor: str) -> CommandAccepted:
    """Assess (or reassess) the fee; opens a levy for the tax system and replaces the project's
    previous assessment levy. Relief and adjustments made earlier still apply.

    FeeLedger v3: the levy's issue time is the assessment's attested fact time (`assessedAt`); the
    account keeps the first one, and with it the first assessment's due date and the rate table in
    effect then. A reassessment therefore keeps both: a due date or a table that differs is refused."""
    project = get_project_row(session, assessment.project_code)
    latest_allowed = chain_time.chain_clock().latest_allowed()
    now = time.time()
    first = _first_assessment(session, project.project_code)
    # The notice's time, as the chain can accept it now; a reassessment's is never before the first's
    # (FeeLedger keeps the first and refuses an earlier one with FeeLedgerInvalidTime).
    assessed_at = min(int(now), latest_allowed)
    if first is not None:
        assessed_at = max(assessed_at, first["assessed_at"])
        if assessed_at > latest_allowed:  # the chain's clock fell behind the first notice's time
            raise ValidationFailed(
                "the first assessment's time is more than 15 minutes after the chain's time: "
                "reassess when the chain has caught up",
                field="project_code",
                rule="not_after_chain_time",
            )
    fact_time = first["assessed_at"] if first else assessed_at  # the account's fact time
    rate = _rate_at(session, project.district, fact_time)
    if assessment.effective_on is not None and _rate(session, project.district, assessment.effective_on) != rate:
        raise ValidationFailed(
            f"the chain assesses with the table in effect at the notice's time "
            f"(version {rate.version}), not the one in force on {assessment.effective_on}",
            field="effective_on",
            rule="rate_table_in_force",
        )
    if first is None:
        due_date = assessment.due_date or today() + timedelta(days=FEE_DUE_DAYS)
        due_at = end_of_day(due_date)
        if due_date <= today():
            raise ValidationFailed("due_date must be after today", field="due_date", rule="future_date")
        if due_at < assessed_at + MIN_NOTICE_SECONDS:  # FeeLedger: MIN_NOTICE after the fact time
            raise ValidationFailed(
                "due_date must end at least a day after the assessment", field="due_date", rule="min_notice"
            )
        if due_at > assessed_at + MAX_HORIZON_SECONDS:
            raise ValidationFailed("due_date must be within 3,650 days", field="due_date", rule="max_horizon")
    else:
        due_at = first["due_at"]
        if assessment.due_date is not None and end_of_day(assessment.due_date) != due_at:
            raise ValidationFailed(
                "a reassessment keeps the fee's due date", field="due_date", rule="kept_on_reassessment"
            )
    area = shortfall(project.required_shelter_area, project.built_shelter_area)
    base = fee_fen(area, rate.rate_fen_per_m2)
    if base > MAX_INT64:  # the chain holds up to 2^64 − 1, a levy (BIGINT) up to 2^63 − 1
        raise ValidationFailed(
            "the fee of this shortfall exceeds what a levy can hold (2^63 − 1 fen)",
            field="project_code",
            rule="fee_in_range",
        )
    if problem := _due_problem(
        base,
        _current_relief_bps(session, project.project_code),
        _adjustments_fen(session, project.project_code),
        field="project_code",
    ):
        raise problem
    payer = enterprise_key_hex(project.builder_uscc)
    if first is not None and first["payer"] != payer:
        raise InvalidState(
            f"{project.project_code} was assessed to another builder; the chain keeps the first payer",
            field="project_code",
            rule="same_payer",
        )
    revision = (
        session.execute(
            select(func.count())
            .select_from(Levy)
            .where(col(Levy.project_code) == project.project_code, col(Levy.kind) == "assessment")
        ).scalar_one()
        + 1
    )
    command = NewCommand(
        "assess_fee",
        project.project_code,
        project.project_code,
        {
            "project": project.project_key,
            "payer": payer,
            "district": int(project.district),
            "shortfall_area": area,
            "rate_table_version": rate.version,
            "assessed_at": assessed_at,
            "due_at": due_at,
            "basis_hash": rate.basis_hash,
        },
    ).with_id()
    session.execute(
        update(Levy)
        .where(
            col(Levy.project_code) == project.project_code, col(Levy.kind) == "assessment", col(Levy.status) == "open"
        )
        .values(status="cancelled")
    )
    levy = Levy(
        levy_number=f"{project.project_code}-A{revision}",
        project_code=project.project_code,
        payer_uscc=project.builder_uscc,
        kind="assessment",
        amount_fen=0,
        status="open",
        shortfall_area=area,
        rate_fen_per_m2=rate.rate_fen_per_m2,
        rate_table_version=rate.version,
        basis_hash=rate.basis_hash,
        command_id=command.id,
        created_at=float(assessed_at),
    )
    levy.amount_fen = _assessment_levy_fen(session, project.project_code, levy)
    session.add(levy)
    enqueue(session, [command], client=actor)
    session.flush()
    return CommandAccepted(command_id=command.id, kind=command.kind, reference=command.reference)


def adjust_fee(session: Session, *, adjustment: AdjustmentCreate, actor: str) -> CommandAccepted:
    """Relief from the reduction policy (no delta_fen: the policy's share of the base, 减免), or a
    fixed signed amount for a known reason code (e.g. 补缴 / 核减 after the surveyed area)."""
    project, assessment, bps = _checked_adjustment(session, adjustment)
    if bps is None:
        return _adjust(
            session,
            project=project,
            assessment=assessment,
            reason=adjustment.reason_code,
            delta=adjustment.delta_fen or 0,
            document_sha256=adjustment.document_sha256,
            actor=actor,
        )
    command = NewCommand(
        "set_relief",
        project.project_code,
        project.project_code,
        {
            "project": project_key_hex(project.project_code),
            "reason": "0x" + reason_code(adjustment.reason_code).hex(),
            "relief_bps": bps,
            "document_hash": sha_hex(adjustment.document_sha256),
        },
    ).with_id()
    before = assessment.amount_fen
    session.add(
        AdjustmentRequest(
            id=uuid.uuid4().hex,
            project_code=project.project_code,
            reason_code=adjustment.reason_code,
            kind="relief",
            relief_bps=bps,
            delta_fen=0,
            document_sha256=adjustment.document_sha256,
            actor=actor,
            command_id=command.id,
            created_at=time.time(),
        )
    )
    session.flush()
    assessment.amount_fen = _assessment_levy_fen(session, project.project_code, assessment)
    session.execute(
        update(AdjustmentRequest)
        .where(col(AdjustmentRequest.command_id) == command.id)
        .values(delta_fen=assessment.amount_fen - before)
    )
    enqueue(session, [command], client=actor)
    session.flush()
    return CommandAccepted(command_id=command.id, kind=command.kind, reference=command.reference)


def check_adjustment(session: Session, *, adjustment: AdjustmentCreate) -> None:
    """Refuses what adjust_fee would refuse, writing nothing: four-eyes holds only what it could make."""
    _checked_adjustment(session, adjustment)


def _checked_adjustment(session: Session, adjustment: AdjustmentCreate) -> tuple[Project, Levy, int | None]:
    """The project, its open assessment levy, and the relief in basis points (None: a fixed amount)."""
    if not known_reason(adjustment.reason_code):
        raise ValidationFailed(
            f"{adjustment.reason_code} is not a reason code of the reduction policy",
            field="reason_code",
            rule="policy_reason",
        )
    project = get_project_row(session, adjustment.project_code)
    assessment = _open_assessment(session, project)
    if adjustment.delta_fen is not None:
        _check_fixed(session, project=project, assessment=assessment, delta=adjustment.delta_fen)
        return project, assessment, None
    percent = reduction_percent(adjustment.reason_code)
    if percent is None:
        raise ValidationFailed(
            f"{adjustment.reason_code} needs an explicit delta_fen", field="delta_fen", rule="required_for_reason"
        )
    bps = percent * FULL_RELIEF_BPS // 100
    if bps == _current_relief_bps(session, project.project_code):
        raise InvalidState(
            f"the relief of {project.project_code} is already {bps} basis points",
            field="reason_code",
            rule="relief_changes",
        )
    if problem := _due_problem(
        _base_fen(assessment), bps, _adjustments_fen(session, project.project_code), field="reason_code"
    ):
        raise problem
    return project, assessment, bps


def _check_fixed(session: Session, *, project: Project, assessment: Levy, delta: int) -> None:
    if delta < 0 and assessment.amount_fen + delta < 0:
        raise ValidationFailed(
            f"a reduction of {-delta} fen exceeds the {assessment.amount_fen} fen still levied",
            field="delta_fen",
            rule="not_below_zero",
        )
    adjusted = _adjustments_fen(session, project.project_code) + delta
    if not -MAX_INT64 - 1 <= adjusted <= MAX_INT64:  # FeeLedger keeps the sum as an int64
        raise ValidationFailed(
            "the project's adjustments would exceed what the ledger can hold (2^63 − 1 fen)",
            field="delta_fen",
            rule="adjustments_in_range",
        )
    if problem := _due_problem(
        _base_fen(assessment), _current_relief_bps(session, project.project_code), adjusted, field="delta_fen"
    ):
        raise problem


def _adjust(
    session: Session, *, project: Project, assessment: Levy, reason: str, delta: int, document_sha256: str, actor: str
) -> CommandAccepted:
    """Write one fixed adjustment (checked: _check_fixed): its record, its levy effect and its outbox command."""
    now = time.time()
    command = NewCommand(
        "adjust_fee",
        project.project_code,
        project.project_code,
        {
            "project": project_key_hex(project.project_code),
            "reason": "0x" + reason_code(reason).hex(),
            "delta_fen": delta,
            "document_hash": sha_hex(document_sha256),
        },
    ).with_id()
    if delta < 0:
        assessment.amount_fen += delta
    else:
        supplementary = (
            session.execute(
                select(func.count())
                .select_from(Levy)
                .where(col(Levy.project_code) == project.project_code, col(Levy.kind) == "supplementary")
            ).scalar_one()
            + 1
        )
        session.add(
            Levy(
                levy_number=f"{project.project_code}-S{supplementary}",
                project_code=project.project_code,
                payer_uscc=project.builder_uscc,
                kind="supplementary",
                amount_fen=delta,
                status="open",
                command_id=command.id,
                created_at=now,
            )
        )
    session.add(
        AdjustmentRequest(
            id=uuid.uuid4().hex,
            project_code=project.project_code,
            reason_code=reason,
            kind="adjustment",
            delta_fen=delta,
            document_sha256=document_sha256,
            actor=actor,
            command_id=command.id,
            created_at=now,
        )
    )
    enqueue(session, [command], client=actor)
    session.flush()
    return CommandAccepted(command_id=command.id, kind=command.kind, reference=command.reference)


def _due_problem(base: int, relief_bps: int, adjustments: int, *, field: str) -> ValidationFailed | None:
    """FeeLedger's `_dueOf`: base − relief + adjustments must fit a uint64 (FeeLedgerAmountTooLarge)."""
    if base - relief_fen(base, relief_bps) + adjustments > MAX_UINT64:
        return ValidationFailed(
            "the fee due (base − relief + adjustments) would exceed what the ledger can hold (2^64 − 1 fen)",
            field=field,
            rule="due_in_range",
        )
    return None


def _base_fen(assessment: Levy) -> int:
    return fee_fen(*_assessed_basis(assessment))


def _assessed_basis(assessment: Levy) -> tuple[int, int]:
    """An assessment's shortfall (0.01 m²) and rate: assess() records both (a supplementary charge has neither)."""
    if assessment.shortfall_area is None or assessment.rate_fen_per_m2 is None:
        raise ValueError(f"levy {assessment.levy_number} is not an assessment: it has no shortfall or rate")
    return assessment.shortfall_area, assessment.rate_fen_per_m2


def _adjustments_fen(session: Session, project_code: str) -> int:
    """The account's sum of fixed adjustments as the chain will hold it: an imported account's (read
    model) plus ours whose commands did not fail."""
    ours = session.execute(
        select(func.coalesce(func.sum(col(AdjustmentRequest.delta_fen)), 0))
        .join(OutboxCommand, col(OutboxCommand.id) == col(AdjustmentRequest.command_id))
        .where(
            col(AdjustmentRequest.project_code) == project_code,
            col(AdjustmentRequest.kind) == "adjustment",
            col(OutboxCommand.status) != FAILED,
        )
    ).scalar_one()
    imported = chain_account(session, project_code)
    return int(ours) + (imported.imported_adjustment_fen if imported else 0)


def _first_assessment(session: Session, project_code: str) -> dict | None:
    """The arguments of the project's first assessment that did not fail: the chain keeps its payer,
    fact time (`assessed_at`) and due date for good. An account a migration imported was first
    assessed elsewhere: the read model holds what the chain keeps of it."""
    args = session.execute(
        select(col(OutboxCommand.args))
        .where(
            col(OutboxCommand.kind) == "assess_fee",
            col(OutboxCommand.project_code) == project_code,
            col(OutboxCommand.status) != FAILED,
        )
        .order_by(col(OutboxCommand.seq))
        .limit(1)
    ).scalar()
    if args:
        return orjson.loads(args)
    account = chain_account(session, project_code)
    if account is not None and account.assessed_at is not None:
        return {"assessed_at": account.assessed_at, "due_at": account.due_at, "payer": account.payer}
    return None


def _current_relief_bps(session: Session, project_code: str) -> int:
    latest = session.execute(
        select(col(AdjustmentRequest.relief_bps))
        .where(col(AdjustmentRequest.project_code) == project_code, col(AdjustmentRequest.kind) == "relief")
        .order_by(col(AdjustmentRequest.created_at).desc())
    ).first()
    return latest[0] if latest else 0


def _assessment_levy_fen(session: Session, project_code: str, levy: Levy) -> int:
    """base − relief + the reductions made so far (supplementary charges are levies of their own)."""
    base = fee_fen(*_assessed_basis(levy))
    reductions = _reductions_fen(session, project_code)
    return max(0, base - relief_fen(base, _current_relief_bps(session, project_code)) + reductions)


def _reductions_fen(session: Session, project_code: str) -> int:
    """The fixed reductions (核减) made so far, a sum ≤ 0."""
    return int(
        session.execute(
            select(func.coalesce(func.sum(col(AdjustmentRequest.delta_fen)), 0)).where(
                col(AdjustmentRequest.project_code) == project_code,
                col(AdjustmentRequest.kind) == "adjustment",
                col(AdjustmentRequest.delta_fen) < 0,
            )
        ).scalar_one()
    )


def _open_assessment(session: Session, project: Project) -> Levy:
    levy = (
        session.execute(
            select(Levy)
            .where(
                col(Levy.project_code) == project.project_code,
                col(Levy.kind) == "assessment",
                col(Levy.status) == "open",
            )
            .order_by(col(Levy.seq).desc())
        )
        .scalars()
        .first()
    )
    if levy is None:
        raise InvalidState(
            f"project {project.project_code} has not been assessed", field="project_code", rule="assessed_first"
        )
    return levy


def _rate_at(session: Session, district: str, moment: int) -> Rate:
    rate = rate_at(session, district, moment)
    if rate is None:
        raise ValidationFailed(
            f"no rate table published on chain was in effect for district {district} at the assessment's time",
            field="effective_on",
            rule="rate_table_in_force",
        )
    return rate


def _rate(session: Session, district: str, on: date) -> Rate:
    rate = rate_for(session, district, on)
    if rate is None:
        raise ValidationFailed(
            f"no rate table published on chain is in force on {on.isoformat()} for district {district}",
            field="effective_on",
            rule="rate_table_in_force",
        )
    return rate
