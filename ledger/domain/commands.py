"""The status of outbox commands: accepted → submitted → mined → indexed (or failed)."""

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.write_model import OutboxCommand, OutboxTransaction
from ledger.domain.common import from_unix
from ledger.domain.errors import NotFound
from ledger.domain.schemas.common import ChainError, CommandStatus


def command_status(session: Session, *, command_id: str, client: str | None = None) -> CommandStatus:
    """The command's status; with `client`, only that client's commands exist (others are NotFound)."""
    row = session.execute(
        select(OutboxCommand, col(OutboxTransaction.chain_id))
        .outerjoin(OutboxTransaction, col(OutboxTransaction.id) == col(OutboxCommand.transaction_id))
        .where(col(OutboxCommand.id) == command_id)
    ).first()
    if row is None or (client is not None and row[0].client != client):
        raise NotFound(f"no command {command_id}", field="command_id", rule="known_command")
    command, chain_id = row
    error = None
    if command.error_name:
        error = ChainError(name=command.error_name, args=[str(a) for a in orjson.loads(command.error_args or "[]")])
    return CommandStatus(
        command_id=command.id,
        kind=command.kind,
        reference=command.reference,
        status=command.status,
        created_at=from_unix(command.created_at),
        submitted_at=from_unix(command.submitted_at),
        mined_at=from_unix(command.mined_at),
        indexed_at=from_unix(command.indexed_at),
        chain_id=chain_id,
        transaction_hash=command.transaction_hash,
        block_number=command.block_number,
        error=error,
    )


def recent_commands(session: Session, *, limit: int = 50) -> list[CommandStatus]:
    """The latest writes, newest first, with their status (the office's view of the outbox)."""
    ids = (
        session.execute(select(col(OutboxCommand.id)).order_by(col(OutboxCommand.created_at).desc()).limit(limit))
        .scalars()
        .all()
    )
    return [command_status(session, command_id=command_id) for command_id in ids]
