"""The office's schemas: fee assessments and adjustments (减免, 补缴 / 核减), and its decisions on
commitments."""

from typing import Literal

from pydantic import BaseModel, model_validator
from pydantic_core import PydanticCustomError

from ledger.core.identifiers import ProjectCode, ReasonCode
from ledger.domain.schemas.common import Day, Input, Moment, Sha256Hex, SignedFen


class FeeAssessmentCreate(Input):
    """Assess (or reassess) a project's fee from the versioned rate table (office staff)."""

    project_code: ProjectCode
    # The chain assesses with the district's table in effect at the first levy notice's time; when
    # given, this date must name that same table (a check, not a choice).
    effective_on: Day | None = None
    # The fee is due at the end of this day (Asia/Shanghai); 30 days after today when omitted. A
    # reassessment keeps the first assessment's due date (omit it, or give the same day).
    due_date: Day | None = None


class AdjustmentCreate(Input):
    """A reduction or exemption (减免) from the reduction policy, or an explicit signed amount."""

    project_code: ProjectCode
    reason_code: ReasonCode
    # None: the amount follows from the policy for `reason_code` (e.g. AFFORDABLE_HOUSING halves the due fee).
    delta_fen: SignedFen | None = None
    document_sha256: Sha256Hex

    @model_validator(mode="after")
    def _nonzero(self) -> "AdjustmentCreate":
        if self.delta_fen == 0:
            raise PydanticCustomError("nonzero", "delta_fen must not be zero")
        return self


class AdjustmentHeld(BaseModel):
    """A reduction held for a second officer (四眼原则): nothing is sent until another office user
    approves it in the office workspace (/office/approvals/{approval_id})."""

    approval_id: str
    project_code: str
    status: Literal["awaiting_second_officer"] = "awaiting_second_officer"
    reduction_fen: int  # what this adjustment would take off the levy
    cumulative_reduction_fen: int  # with the relief and 核减 made and the reductions awaiting approval
    threshold_fen: int  # the cumulative reduction above which a second officer approves


class CommitmentDecision(Input):
    """An office decision: fulfil (verify), breach, extend (with a new due date) or repair; or the
    enterprise's fulfilment evidence received (submit_evidence: stops the overdue clock) and its
    rejection (reject_evidence)."""

    action: Literal["fulfil", "breach", "extend", "repair", "submit_evidence", "reject_evidence"]
    document_sha256: Sha256Hex  # evidence, breach reason, extension approval or repair evidence
    new_due_date: Day | None = None
    # The fact time of a fulfilment, repair or evidence submission (it decides "late"); now when omitted.
    decided_at: Moment | None = None

    @model_validator(mode="after")
    def _due_date_only_for_extend(self) -> "CommitmentDecision":
        if self.action == "extend" and self.new_due_date is None:
            raise PydanticCustomError("required_for_extend", "new_due_date is required to extend a commitment")
        if self.action != "extend" and self.new_due_date is not None:
            raise PydanticCustomError("only_for_extend", "new_due_date is allowed only when extending")
        return self
