"""Is a project clear? Fee status and commitments, each reason with its on-chain proof."""

from sqlalchemy.orm import Session

from ledger.domain.schemas import Clearance


def clearance(session: Session, *, project_code: str) -> Clearance:
    raise NotImplementedError
