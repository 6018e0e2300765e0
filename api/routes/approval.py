"""/v1/approval: the project-approval system (工程建设项目审批管理系统). Signed requests only."""

from typing import Annotated

from fastapi import Body, Path, Response

from api import examples as ex
from api.responses import AcceptanceAcceptedPublic, CommandAcceptedPublic, accepted_many, accepted_one_of_many
from api.security.system_clients import ApprovalClient, approval_client
from api.signed_routes import signed_router
from ledger.core.identifiers import ProjectCode
from ledger.domain import clearance, commitments, projects
from ledger.domain.schemas.approval import (
    AcceptanceReport,
    Clearance,
    CommitmentBatch,
    CommitmentCreate,
    ProjectCreate,
    RegisteredProject,
)
from web.kit.deps import SessionDep
from web.kit.problems import problem_responses

router = signed_router(client=approval_client, prefix="/v1/approval", tags=["approval system"])
STATUS_BASE = "/v1/commands"
AUTH = ("authentication-required", "signature-rejected", "forbidden")
POST = (
    *AUTH,
    "idempotency-key-missing",
    "idempotency-key-reused",
    "idempotency-key-in-flight",
    "validation-failed",
    "malformed-request",
    "payload-too-large",
)
ProjectCodePath = Annotated[ProjectCode, Path(examples=[ex.PROJECT], description="national investment project code")]


@router.post(
    "/projects",
    response_model=RegisteredProject,
    responses={**ex.ok("The project as registered (or updated)", ex.PROJECT_PUBLIC), **problem_responses(*POST)},
)
def register_project(
    project: Annotated[ProjectCreate, Body(openapi_examples=ex.body("Register a project", ex.PROJECT_CREATE))],
    session: SessionDep,
    client: ApprovalClient,
) -> RegisteredProject:
    """Register a project, or update it when the project code is known (name, builder, areas, stage)."""
    return projects.register_project(session, project=project, client=client.id)


@router.get(
    "/projects/{project_code}",
    response_model=RegisteredProject,
    responses={**ex.ok("The project", ex.PROJECT_PUBLIC), **problem_responses(*AUTH, "not-found")},
)
def get_project(project_code: ProjectCodePath, session: SessionDep, client: ApprovalClient) -> RegisteredProject:
    return projects.get_project(session, project_code=project_code)


@router.post(
    "/commitments",
    status_code=202,
    response_model=list[CommandAcceptedPublic],
    responses={
        **ex.ok(
            "Accepted: one command", [ex.ACCEPTED | {"kind": "record_commitment", "reference": "CN-2026-000045"}], 202
        ),
        **problem_responses(*POST, "conflict", "not-found"),
    },
)
def record_commitment(
    commitment: Annotated[
        CommitmentCreate, Body(openapi_examples=ex.body("A shelter-build commitment", ex.COMMITMENT))
    ],
    session: SessionDep,
    client: ApprovalClient,
    response: Response,
) -> list[CommandAcceptedPublic]:
    """Record one commitment (承诺) the enterprise signed; it goes on chain asynchronously. The answer is
    a list of one command (the batch's shape), with its status URL also in Location."""
    return accepted_one_of_many(
        commitments.record_commitments(session, commitments=[commitment], client=client.id), response, STATUS_BASE
    )


@router.post(
    "/commitments/batch",
    status_code=202,
    response_model=list[CommandAcceptedPublic],
    responses={
        **ex.ok(
            "Accepted: one command per commitment",
            [ex.ACCEPTED | {"kind": "record_commitment", "reference": "CN-2026-000045"}],
            202,
        ),
        **problem_responses(*POST, "conflict", "not-found"),
    },
)
def record_commitments(
    batch: Annotated[
        CommitmentBatch, Body(openapi_examples=ex.body("Several commitments", {"items": [ex.COMMITMENT]}))
    ],
    session: SessionDep,
    client: ApprovalClient,
) -> list[CommandAcceptedPublic]:
    """Record up to 500 commitments at once: all or none (a bad item refuses the request, naming it)."""
    return accepted_many(
        commitments.record_commitments(session, commitments=list(batch.items), client=client.id), STATUS_BASE
    )


@router.post(
    "/acceptance",
    status_code=202,
    response_model=AcceptanceAcceptedPublic,
    responses={
        **ex.ok("Accepted", ex.ACCEPTED_ACCEPTANCE, 202),
        **problem_responses(*POST, "not-found", "invalid-state", "conflict"),
    },
)
def report_acceptance(
    report: Annotated[AcceptanceReport, Body(openapi_examples=ex.body("Passed, surveyed area smaller", ex.ACCEPTANCE))],
    session: SessionDep,
    client: ApprovalClient,
    response: Response,
) -> AcceptanceAcceptedPublic:
    """Report a joint acceptance (联合验收) and the surveyed shelter area (联合测绘). A pass fulfils the
    shelter_build commitment; a surveyed area that differs makes a 补缴 (+) or 核减 (−) adjustment."""
    result = commitments.report_acceptance(session, report=report, client=client.id)
    return AcceptanceAcceptedPublic(**{**result.model_dump(), "commands": accepted_many(result.commands, STATUS_BASE)})


@router.get(
    "/projects/{project_code}/clearance",
    response_model=Clearance,
    responses={
        **ex.ok("Clear or not, with reasons and on-chain proof", ex.CLEARANCE),
        **problem_responses(*AUTH, "not-found"),
    },
)
def get_clearance(project_code: ProjectCodePath, session: SessionDep, client: ApprovalClient) -> Clearance:
    """Is this project clear (fee settled, no overdue or breached commitment)? Each reason carries its proof."""
    return clearance.clearance(session, project_code=project_code)
