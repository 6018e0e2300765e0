from fastapi import APIRouter, Response

from api.deps import SettingsDep
from api.models import ChainHealth, HealthPublic
from ledger.status import chain_status

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic)
def health(settings: SettingsDep, response: Response) -> HealthPublic:
    """Whether the chain is reachable, where the contracts are, and what is wrong if anything."""
    status = chain_status(settings)
    problems = []
    if not status.reachable:
        problems.append(f"chain: no JSON-RPC answer at {settings.rpc_url}")
    if status.manifest_error:
        problems.append(f"manifest: {status.manifest_error}")
    if problems:
        response.status_code = 503
    return HealthPublic(
        status="degraded" if problems else "ok",
        chain=ChainHealth(reachable=status.reachable, chain_id=status.chain_id, head_block=status.head_block),
        contracts=status.contracts,
        problems=problems,
    )
