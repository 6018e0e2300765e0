"""/v1/office: office staff (人防办) assess fees, grant reductions, decide on commitments."""

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response

from api import examples as ex
from api.responses import CommandAcceptedPublic, accepted
from ledger.core.identifiers import CommandId, ProjectCode, Reference
from ledger.domain import approvals, clearance, commitments, fees, projects
from ledger.domain.commands import command_status
from ledger.domain.schemas.approval import Clearance, RegisteredProject
from ledger.domain.schemas.common import CommandStatus
from ledger.domain.schemas.office import AdjustmentCreate, AdjustmentHeld, CommitmentDecision, FeeAssessmentCreate
from web.kit.deps import SessionDep, SettingsDep
from web.kit.problems import problem_responses
from web.kit.sessions import OfficeUser

router = APIRouter(prefix="/v1/office", tags=["office staff"])
STATUS_BASE = "/v1/office/commands"
READ = ("authentication-required", "forbidden", "not-found")
WRITE = (
    *READ,
    "csrf-failed",
    "validation-failed",
    "malformed-request",
    "payload-too-large",
    "conflict",
    "invalid-state",
)


@router.post(
    "/assessments",
    status_code=202,
    response_model=CommandAcceptedPublic,
    responses={
        **ex.ok(
            "Accepted",
            ex.ACCEPTED
            | {"kind": "assess_fee", "reference": ex.PROJECT, "status_url": f"{STATUS_BASE}/{ex.COMMAND_ID}"},
            202,
        ),
        **problem_responses(*WRITE),
    },
)
def assess(
    assessment: Annotated[
        FeeAssessmentCreate,
        Body(openapi_examples=ex.body("Assess from today's rate table (published on chain)", ex.ASSESSMENT)),
    ],
    session: SessionDep,
    user: OfficeUser,
    response: Response,
) -> CommandAcceptedPublic:
    """Assess (or reassess) a project's fee from the versioned rate table; a levy appears in the tax feed."""
    return accepted(fees.assess_fee(session, assessment=assessment, actor=user.username), response, STATUS_BASE)


APPROVAL_PAGE = "/office/approvals"  # where the office follows and approves a held reduction (the portal)


class AdjustmentHeldPublic(AdjustmentHeld):
    status_url: str  # the approval's page in the office workspace (also the answer's Location)


ADJUSTMENT_HELD = {
    "approval_id": "5b0c2e7d9a1f4c3e8d6b7a0f1e2d3c4b",
    "project_code": ex.PROJECT,
    "status": "awaiting_second_officer",
    "reduction_fen": 6_000_000,
    "cumulative_reduction_fen": 12_000_000,
    "threshold_fen": 10_000_000,
    "status_url": f"{APPROVAL_PAGE}/5b0c2e7d9a1f4c3e8d6b7a0f1e2d3c4b",
}


@router.post(
    "/adjustments",
    status_code=202,
    response_model=CommandAcceptedPublic | AdjustmentHeldPublic,
    responses={
        202: {
            "description": "Accepted: the command, or a reduction held for a second officer (四眼原则)",
            "content": {
                "application/json": {
                    "examples": {
                        "accepted": {
                            "summary": "Made at once (a supplementary charge, or a reduction within the threshold)",
                            "value": ex.ACCEPTED
                            | {
                                "kind": "adjust_fee",
                                "reference": ex.PROJECT,
                                "status_url": f"{STATUS_BASE}/{ex.COMMAND_ID}",
                            },
                        },
                        "held": {
                            "summary": "Held: the levy's cumulative reduction would pass the threshold",
                            "value": ADJUSTMENT_HELD,
                        },
                    }
                }
            },
        },
        **problem_responses(*WRITE),
    },
)
def adjust(
    adjustment: Annotated[
        AdjustmentCreate,
        Body(
            openapi_examples=ex.body(
                "Affordable housing halves the fee",
                {"project_code": ex.PROJECT, "reason_code": "AFFORDABLE_HOUSING", "document_sha256": ex.SHA},
            )
        ),
    ],
    session: SessionDep,
    settings: SettingsDep,
    user: OfficeUser,
    response: Response,
) -> CommandAcceptedPublic | AdjustmentHeldPublic:
    """A reduction or exemption (减免) with its reason code and document hash, or a fixed signed amount
    (补缴 / 核减). Four-eyes as in the office workspace: when the levy's cumulative reduction (relief
    and 核减 made, reductions awaiting approval, and this one) would pass the threshold, nothing is
    sent: the answer is still 202, with `status` `awaiting_second_officer`, the approval's id, and as
    `status_url` and Location the approval's page in the office workspace, where another office user
    approves it (/office/approvals/{approval_id})."""
    outcome = approvals.request_adjustment(
        session,
        adjustment=adjustment,
        actor=user.username,
        threshold_fen=settings.portal.second_officer_above_fen,
    )
    if isinstance(outcome, AdjustmentHeld):
        held = AdjustmentHeldPublic(**outcome.model_dump(), status_url=f"{APPROVAL_PAGE}/{outcome.approval_id}")
        response.headers["Location"] = held.status_url
        return held
    return accepted(outcome, response, STATUS_BASE)


@router.post(
    "/commitments/{commitment_number}/decisions",
    status_code=202,
    response_model=CommandAcceptedPublic,
    responses={
        **ex.ok(
            "Accepted",
            ex.ACCEPTED
            | {
                "kind": "fulfil_commitment",
                "reference": "CN-2026-000045",
                "status_url": f"{STATUS_BASE}/{ex.COMMAND_ID}",
            },
            202,
        ),
        **problem_responses(*WRITE),
    },
)
def decide(
    commitment_number: Annotated[Reference, Path(examples=["CN-2026-000045"])],
    decision: Annotated[CommitmentDecision, Body(openapi_examples=ex.body("Verified as fulfilled", ex.DECISION))],
    session: SessionDep,
    user: OfficeUser,
    response: Response,
) -> CommandAcceptedPublic:
    """Fulfil (verify), breach, extend (with new_due_date) or repair a commitment."""
    return accepted(
        commitments.decide_commitment(
            session, commitment_number=commitment_number, decision=decision, actor=user.username
        ),
        response,
        STATUS_BASE,
    )


@router.get(
    "/projects/{project_code}",
    response_model=RegisteredProject,
    responses={**ex.ok("The project", ex.PROJECT_PUBLIC), **problem_responses(*READ)},
)
def get_project(
    project_code: Annotated[ProjectCode, Path(examples=[ex.PROJECT])], session: SessionDep, user: OfficeUser
) -> RegisteredProject:
    return projects.get_project(session, project_code=project_code)


@router.get(
    "/projects/{project_code}/clearance",
    response_model=Clearance,
    responses={**ex.ok("Clearance", ex.CLEARANCE), **problem_responses(*READ)},
)
def get_clearance(
    project_code: Annotated[ProjectCode, Path(examples=[ex.PROJECT])], session: SessionDep, user: OfficeUser
) -> Clearance:
    return clearance.clearance(session, project_code=project_code)


@router.get(
    "/commands/{command_id}",
    response_model=CommandStatus,
    responses={**ex.ok("The command's status", ex.COMMAND_STATUS), **problem_responses(*READ)},
)
def get_command(command_id: CommandId, session: SessionDep, user: OfficeUser) -> CommandStatus:
    return command_status(session, command_id=command_id)
