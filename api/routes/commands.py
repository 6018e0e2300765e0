"""/v1/commands/{id}: where a system client follows a command it sent."""

from api import examples as ex
from api.routes.approval import AUTH
from api.security.system_clients import TaxOrApprovalClient, tax_or_approval_client
from api.signed_routes import signed_router
from ledger.core.identifiers import CommandId
from ledger.domain.commands import command_status
from ledger.domain.schemas.common import CommandStatus
from web.kit.deps import SessionDep
from web.kit.problems import problem_responses

router = signed_router(client=tax_or_approval_client, prefix="/v1/commands", tags=["commands"])


@router.get(
    "/{command_id}",
    response_model=CommandStatus,
    responses={**ex.ok("The command's status", ex.COMMAND_STATUS), **problem_responses(*AUTH, "not-found")},
)
def get_command(command_id: CommandId, session: SessionDep, client: TaxOrApprovalClient) -> CommandStatus:
    """accepted → submitted → mined → indexed, or failed with the contract's decoded error.
    `indexed` means the read model holds the result: read it back from then on. A client sees only
    the commands it sent (another's are 404)."""
    return command_status(session, command_id=command_id, client=client.id)
