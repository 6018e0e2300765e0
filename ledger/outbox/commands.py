"""Writing commands into the outbox (inside the caller's transaction) and reading their status."""

import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import insert
from sqlalchemy.orm import Session

from ledger.db.write_model import OutboxCommand
from ledger.outbox.kinds import KINDS

ACCEPTED, SUBMITTED, MINED, INDEXED, FAILED = "accepted", "submitted", "mined", "indexed", "failed"


@dataclass(frozen=True)
class NewCommand:
    kind: str
    reference: str  # the business key it carries
    project_code: str  # commands of one project reach the chain in acceptance order
    args: dict  # see ledger.outbox.kinds: bytes32 as 0x-hex, numbers as int
    id: str = ""

    def with_id(self) -> "NewCommand":
        return (
            self if self.id else NewCommand(self.kind, self.reference, self.project_code, self.args, new_command_id())
        )


def new_command_id() -> str:
    return uuid.uuid4().hex


def enqueue(session: Session, commands: list[NewCommand], *, client: str) -> list[str]:
    """Add commands to the outbox in the caller's transaction (one multi-row INSERT); returns their ids."""
    if not commands:
        return []
    now = time.time()
    rows: list[dict[str, Any]] = []
    for command in commands:
        command = command.with_id()
        rows.append(
            {
                "id": command.id,
                "kind": command.kind,
                "role": KINDS[command.kind].role,
                "reference": command.reference,
                "project_code": command.project_code,
                "args": orjson.dumps(command.args).decode(),
                "status": ACCEPTED,
                "attempts": 0,
                "client": client,
                "created_at": now,
            }
        )
    session.execute(insert(OutboxCommand), rows)
    return [row["id"] for row in rows]
