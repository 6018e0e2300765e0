"""The 202 answer of every accepted command: its id, and where to follow its status."""

from fastapi import Response

from api.problems import TYPE_PREFIX
from ledger.domain.schemas import AcceptanceAccepted, CommandAccepted, PaymentBatchResult


class CommandAcceptedPublic(CommandAccepted):
    status_url: str


class AcceptanceAcceptedPublic(AcceptanceAccepted):
    commands: list[CommandAcceptedPublic]


def accepted(command: CommandAccepted, response: Response, status_base: str) -> CommandAcceptedPublic:
    """Adds the status URL (also as Location) to a command the service accepted."""
    public = CommandAcceptedPublic(**command.model_dump(), status_url=f"{status_base}/{command.command_id}")
    response.headers["Location"] = public.status_url
    return public


def accepted_one_of_many(commands: list[CommandAccepted], response: Response,
                         status_base: str) -> list[CommandAcceptedPublic]:
    """One command answered as a list (the single-commitment route shares the batch's shape), with
    its status URL as Location too."""
    public = accepted_many(commands, status_base)
    if len(public) == 1:
        response.headers["Location"] = public[0].status_url
    return public


def batch_result(result: PaymentBatchResult) -> PaymentBatchResult:
    """A batch's per-item problems in the API's terms: the field as items[k].field and the type as
    its /problems/ URI, like every other problem."""
    for item in result.items:
        problem = item.problem
        if problem is not None:
            if problem.field and not problem.field.startswith("items["):
                problem.field = f"items[{item.index}].{problem.field}"
            if not problem.type.startswith(TYPE_PREFIX):
                problem.type = TYPE_PREFIX + problem.type
    return result


def accepted_many(commands: list[CommandAccepted], status_base: str) -> list[CommandAcceptedPublic]:
    return [CommandAcceptedPublic(**c.model_dump(), status_url=f"{status_base}/{c.command_id}") for c in commands]
