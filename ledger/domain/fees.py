"""Fee assessment from the versioned rate table, and adjustments (reductions, exemptions, 补缴 / 核减)."""

import time
import uuid
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ledger.db.write_model import AdjustmentRequest, Levy, Project
from ledger.domain.common import (enterprise_key_hex, get_project_row, project_key_hex, sha_hex, today)
from ledger.domain.errors import InvalidState, ValidationFailed
from ledger.domain.rates import Rate, fee_fen, known_reason, rate_for, reduction_percent, shortfall
from ledger.domain.schemas import AdjustmentCreate, CommandAccepted, FeeAssessmentCreate, FeeEstimate
from ledger.identifiers import reason_code
from ledger.writer.outbox import NewCommand, enqueue


def estimate_fee(*, district: str, required_shelter_area: int, built_shelter_area: int,
                 effective_on: date | None = None) -> FeeEstimate:
    """What the fee would be (the portal's estimator); writes nothing."""
    rate = _rate(district, effective_on or today())
    area = shortfall(required_shelter_area, built_shelter_area)
    return FeeEstimate(district=district, shortfall_area=area, rate_fen_per_m2=rate.rate_fen_per_m2,
                       rate_table_version=rate.version, amount_fen=fee_fen(area, rate.rate_fen_per_m2),
                       basis=rate.basis, sample=rate.sample)


def assess_fee(session: Session, *, assessment: FeeAssessmentCreate, actor: str) -> CommandAccepted:
    """Assess (or reassess) the fee from the rate table in force; opens a levy for the tax system
    and replaces the project's previous assessment levy."""
    project = get_project_row(session, assessment.project_code)
    rate = _rate(project.district, assessment.effective_on or today())
    area = shortfall(project.required_shelter_area, project.built_shelter_area)
    amount = fee_fen(area, rate.rate_fen_per_m2)
    revision = session.execute(select(func.count()).select_from(Levy).where(
        Levy.project_code == project.project_code, Levy.kind == "assessment")).scalar_one() + 1
    command = NewCommand("assess_fee", project.project_code, project.project_code, {
        "project": project.project_key, "payer": enterprise_key_hex(project.builder_uscc), "shortfall_area": area,
        "rate_fen_per_m2": rate.rate_fen_per_m2, "rate_table_version": rate.version, "basis_hash": rate.basis_hash,
    }).with_id()
    session.execute(update(Levy).where(Levy.project_code == project.project_code, Levy.kind == "assessment",
                                       Levy.status == "open").values(status="cancelled"))
    session.add(Levy(levy_number=f"{project.project_code}-A{revision}", project_code=project.project_code,
                     payer_uscc=project.builder_uscc, kind="assessment", amount_fen=amount, status="open",
                     shortfall_area=area, rate_fen_per_m2=rate.rate_fen_per_m2, rate_table_version=rate.version,
                     basis_hash=rate.basis_hash, command_id=command.id, created_at=time.time()))
    enqueue(session, [command], client=actor)
    session.flush()
    return CommandAccepted(command_id=command.id, kind=command.kind, reference=command.reference)


def adjust_fee(session: Session, *, adjustment: AdjustmentCreate, actor: str) -> CommandAccepted:
    """A reduction or exemption from the policy (delta from the assessed amount), or an explicit
    signed amount for a known reason code. A positive delta opens a supplementary levy."""
    if not known_reason(adjustment.reason_code):
        raise ValidationFailed(f"{adjustment.reason_code} is not a reason code of the reduction policy",
                               field="reason_code", rule="policy_reason")
    project = get_project_row(session, adjustment.project_code)
    assessment = _open_assessment(session, project)
    delta = adjustment.delta_fen
    if delta is None:
        percent = reduction_percent(adjustment.reason_code)
        if percent is None:
            raise ValidationFailed(f"{adjustment.reason_code} needs an explicit delta_fen", field="delta_fen",
                                   rule="required_for_reason")
        delta = -fee_fen(assessment.amount_fen, percent)  # same half-up rounding, percent in place of rate
        if delta == 0:
            raise ValidationFailed("the policy reduces nothing: the assessed fee is zero", field="reason_code",
                                   rule="nonzero_effect")
    return _adjust(session, project=project, assessment=assessment, reason=adjustment.reason_code, delta=delta,
                   document_sha256=adjustment.document_sha256, actor=actor)


def _adjust(session: Session, *, project: Project, assessment: Levy, reason: str, delta: int, document_sha256: str,
            actor: str) -> CommandAccepted:
    """Write one adjustment: its record, its levy effect and its outbox command."""
    now = time.time()
    if delta < 0 and assessment.amount_fen + delta < 0:
        raise ValidationFailed(f"a reduction of {-delta} fen exceeds the {assessment.amount_fen} fen still levied",
                               field="delta_fen", rule="not_below_zero")
    command = NewCommand("adjust_fee", project.project_code, project.project_code, {
        "project": project_key_hex(project.project_code), "reason": "0x" + reason_code(reason).hex(),
        "delta_fen": delta, "document_hash": sha_hex(document_sha256)}).with_id()
    if delta < 0:
        assessment.amount_fen += delta
    else:
        supplementary = session.execute(select(func.count()).select_from(Levy).where(
            Levy.project_code == project.project_code, Levy.kind == "supplementary")).scalar_one() + 1
        session.add(Levy(levy_number=f"{project.project_code}-S{supplementary}", project_code=project.project_code,
                         payer_uscc=project.builder_uscc, kind="supplementary", amount_fen=delta, status="open",
                         command_id=command.id, created_at=now))
    session.add(AdjustmentRequest(id=uuid.uuid4().hex, project_code=project.project_code, reason_code=reason,
                                  delta_fen=delta, document_sha256=document_sha256, actor=actor,
                                  command_id=command.id, created_at=now))
    enqueue(session, [command], client=actor)
    session.flush()
    return CommandAccepted(command_id=command.id, kind=command.kind, reference=command.reference)


def _open_assessment(session: Session, project: Project) -> Levy:
    levy = session.execute(select(Levy).where(Levy.project_code == project.project_code, Levy.kind == "assessment",
                                              Levy.status == "open").order_by(Levy.seq.desc())).scalars().first()
    if levy is None:
        raise InvalidState(f"project {project.project_code} has not been assessed", field="project_code",
                           rule="assessed_first")
    return levy


def _rate(district: str, on: date) -> Rate:
    rate = rate_for(district, on)
    if rate is None:
        raise ValidationFailed(f"no rate table is in force on {on.isoformat()}", field="effective_on",
                               rule="rate_table_in_force")
    return rate
