"""The 202 answer of every accepted command: its id, and where to follow its status."""

from fastapi import Response

from ledger.domain.schemas import AcceptanceAccepted, CommandAccepted


class CommandAcceptedPublic(CommandAccepted):
    status_url: str


class AcceptanceAcceptedPublic(AcceptanceAccepted):
    commands: list[CommandAcceptedPublic]


def accepted(command: CommandAccepted, response: Response, status_base: str) -> CommandAcceptedPublic:
    """Adds the status URL (also as Location) to a command the service accepted."""
    public = CommandAcceptedPublic(**command.model_dump(), status_url=f"{status_base}/{command.command_id}")
    response.headers["Location"] = public.status_url
    return public


def accepted_many(commands: list[CommandAccepted], status_base: str) -> list[CommandAcceptedPublic]:
    return [CommandAcceptedPublic(**c.model_dump(), status_url=f"{status_base}/{c.command_id}") for c in commands]
