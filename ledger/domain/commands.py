"""The status of outbox commands: accepted → submitted → mined → indexed (or failed)."""

from sqlalchemy.orm import Session

from ledger.domain.schemas import CommandStatus


def command_status(session: Session, *, command_id: str) -> CommandStatus:
    raise NotImplementedError
