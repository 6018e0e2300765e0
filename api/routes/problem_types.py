"""/problems/{slug}: what each problem `type` means (the type URIs resolve here)."""

from fastapi import APIRouter
from pydantic import BaseModel

from api.problems import PROBLEM_TYPES, TYPE_PREFIX, ApiProblem

router = APIRouter(prefix="/problems", tags=["problems"])


class ProblemTypePublic(BaseModel):
    type: str
    status: int
    title: str
    description: str


@router.get("", response_model=list[ProblemTypePublic])
def list_problem_types() -> list[ProblemTypePublic]:
    """Every problem type the API returns."""
    return [ProblemTypePublic(type=TYPE_PREFIX + slug, status=t.status, title=t.title, description=t.description)
            for slug, t in PROBLEM_TYPES.items()]


@router.get("/{slug}", response_model=ProblemTypePublic)
def problem_type(slug: str) -> ProblemTypePublic:
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        raise ApiProblem("not-found", f"no problem type {slug!r}", field="slug", rule="exists")
    return ProblemTypePublic(type=TYPE_PREFIX + slug, status=kind.status, title=kind.title, description=kind.description)
