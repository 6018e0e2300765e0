"""/problems/{slug}: what each problem `type` means (the type URIs resolve here)."""

from fastapi import APIRouter
from pydantic import BaseModel

from web.kit.problems import PROBLEM_TYPES, TYPE_PREFIX, ApiProblem, problem_responses

router = APIRouter(prefix="/problems", tags=["problems"])


class ProblemTypePublic(BaseModel):
    type: str
    status: int
    title: str
    description: str


EXAMPLE = {
    "type": TYPE_PREFIX + "validation-failed",
    "status": 422,
    "title": "Invalid input",
    "description": PROBLEM_TYPES["validation-failed"].description,
}


@router.get(
    "",
    response_model=list[ProblemTypePublic],
    responses={200: {"description": "Every problem type", "content": {"application/json": {"example": [EXAMPLE]}}}},
)
def list_problem_types() -> list[ProblemTypePublic]:
    """Every problem type the API returns."""
    return [
        ProblemTypePublic(type=TYPE_PREFIX + slug, status=t.status, title=t.title, description=t.description)
        for slug, t in PROBLEM_TYPES.items()
    ]


@router.get(
    "/{slug}",
    response_model=ProblemTypePublic,
    responses={
        200: {"description": "One problem type", "content": {"application/json": {"example": EXAMPLE}}},
        **problem_responses("not-found"),
    },
)
def problem_type(slug: str) -> ProblemTypePublic:
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        raise ApiProblem("not-found", f"no problem type {slug!r}", field="slug", rule="exists")
    return ProblemTypePublic(
        type=TYPE_PREFIX + slug, status=kind.status, title=kind.title, description=kind.description
    )
