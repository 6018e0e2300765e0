"""Fee assessment from the versioned rate table, and adjustments (reductions, exemptions)."""

from datetime import date

from sqlalchemy.orm import Session

from ledger.domain.schemas import AdjustmentCreate, CommandAccepted, FeeAssessmentCreate, FeeEstimate


def estimate_fee(*, district: str, required_shelter_area: int, built_shelter_area: int,
                 effective_on: date | None = None) -> FeeEstimate:
    raise NotImplementedError


def assess_fee(session: Session, *, assessment: FeeAssessmentCreate, actor: str) -> CommandAccepted:
    raise NotImplementedError


def adjust_fee(session: Session, *, adjustment: AdjustmentCreate, actor: str) -> CommandAccepted:
    raise NotImplementedError
