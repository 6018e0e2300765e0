"""The 202 answer of every accepted command: its id, and where to follow its status."""

from fastapi import Response

from ledger.domain.schemas.approval import AcceptanceAccepted
from ledger.domain.schemas.common import CommandAccepted
from ledger.domain.schemas.tax import PaymentBatchResult, PaymentItemResult
from web.kit.problems import TYPE_PREFIX


class CommandAcceptedPublic(CommandAccepted):
    status_url: str


class AcceptanceAcceptedPublic(AcceptanceAccepted):
    # pydantic: the answer narrows the field to the public item (an answer is read, never written through the base)
    commands: list[CommandAcceptedPublic]  # type: ignore[assignment]


class PaymentItemResultPublic(PaymentItemResult):
    status_url: str | None = None  # with command_id: an accepted item is followed like any command


class PaymentBatchResultPublic(PaymentBatchResult):
    # pydantic: the answer narrows the field to the public item (an answer is read, never written through the base)
    items: list[PaymentItemResultPublic]  # type: ignore[assignment]


def accepted(command: CommandAccepted, response: Response, status_base: str) -> CommandAcceptedPublic:
    """Adds the status URL (also as Location) to a command the service accepted."""
    public = CommandAcceptedPublic(**command.model_dump(), status_url=f"{status_base}/{command.command_id}")
    response.headers["Location"] = public.status_url
    return public


def accepted_one_of_many(
    commands: list[CommandAccepted], response: Response, status_base: str
) -> list[CommandAcceptedPublic]:
    """One command answered as a list (the single-commitment route shares the batch's shape), with
    its status URL as Location too."""
    public = accepted_many(commands, status_base)
    if len(public) == 1:
        response.headers["Location"] = public[0].status_url
    return public


def batch_result(result: PaymentBatchResult, status_base: str) -> PaymentBatchResultPublic:
    """A batch's items in the API's terms: an accepted item carries its status_url like every accepted
    command; a refused item's field is items[k].field and its type its /problems/ URI, like every
    other problem."""
    for item in result.items:
        problem = item.problem
        if problem is not None:
            if problem.field and not problem.field.startswith("items["):
                problem.field = f"items[{item.index}].{problem.field}"
            if not problem.type.startswith(TYPE_PREFIX):
                problem.type = TYPE_PREFIX + problem.type
    items = [
        PaymentItemResultPublic(
            **item.model_dump(), status_url=f"{status_base}/{item.command_id}" if item.command_id else None
        )
        for item in result.items
    ]
    return PaymentBatchResultPublic(accepted=result.accepted, rejected=result.rejected, items=items)


def accepted_many(commands: list[CommandAccepted], status_base: str) -> list[CommandAcceptedPublic]:
    return [CommandAcceptedPublic(**c.model_dump(), status_url=f"{status_base}/{c.command_id}") for c in commands]
