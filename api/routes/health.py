import time

from fastapi import APIRouter, Response

from api.models import ChainHealth, HealthPublic, IndexerHealth
from ledger.domain.common import from_unix
from ledger.domain.health import chain_status, indexer_problems, indexer_status, writer_problems
from web.kit.deps import EngineDep, SettingsDep

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic)
def health(settings: SettingsDep, engine: EngineDep, response: Response) -> HealthPublic:
    """Whether the chain is reachable, where the contracts are, how far the read model lags, the
    chain's clock (the head block's time and its offset from this server's clock: the contracts
    judge fact times such as paid_at by block time), and what is wrong if anything: 503 when the
    chain is unreachable, the indexer halted, or its lag or silence passes
    LEDGER_HEALTH_MAX_LAG_BLOCKS / LEDGER_HEALTH_MAX_POLL_AGE_SECONDS, or a transaction the writer
    sent ten minutes ago still has no receipt. The node's URL is never
    shown (it may carry credentials)."""
    asked = time.time()
    status = chain_status(settings)
    indexer = indexer_status(engine, status.chain_id) if status.chain_id is not None else None
    head = indexer.head_block if indexer else None
    lag = status.head_block - head if head is not None and status.head_block is not None else None
    problems = indexer_problems(settings, status, indexer)
    if status.chain_id is not None:
        problems += writer_problems(engine, status.chain_id, now=asked)
    if not status.reachable:
        problems.append("chain: no JSON-RPC answer from the node (LEDGER_RPC_URL)")
    if status.manifest_error:
        problems.append(f"manifest: {status.manifest_error}")
    if problems:
        response.status_code = 503
    return HealthPublic(
        status="degraded" if problems else "ok",
        chain=ChainHealth(
            reachable=status.reachable,
            chain_id=status.chain_id,
            head_block=status.head_block,
            head_time=from_unix(status.head_time),
            server_time=from_unix(int(asked)),
            clock_offset_seconds=None if status.head_time is None else status.head_time - int(asked),
        ),
        indexer=IndexerHealth(head_block=head, lag_blocks=lag),
        contracts=status.contracts,
        problems=problems,
    )
