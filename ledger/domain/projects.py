"""Projects and their builders (enterprises), registered by the approval system."""

from sqlalchemy.orm import Session

from ledger.domain.schemas import ProjectCreate, ProjectPublic


def register_project(session: Session, *, project: ProjectCreate, client: str) -> ProjectPublic:
    """Register a project or update it (same code); off-chain only, no outbox command."""
    raise NotImplementedError


def get_project(session: Session, *, project_code: str) -> ProjectPublic:
    raise NotImplementedError


def projects_of_enterprise(session: Session, *, uscc: str) -> list[ProjectPublic]:
    raise NotImplementedError
