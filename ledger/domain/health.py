"""What `/health` and `/metrics` report: the chain, the deployment and the indexer's own
account of itself in the read model (checkpoint, last good poll, halt, errors by kind)."""

from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from ledger.chain.manifest import load_manifest
from ledger.chain.rpc import JsonRpc
from ledger.core.errors import LedgerError, ManifestError
from ledger.core.settings import Settings
from ledger.indexer.store import Status, load_status


@dataclass(frozen=True)
class ChainStatus:
    reachable: bool
    chain_id: int | None
    head_block: int | None
    contracts: dict[str, str]
    manifest_error: str | None = None
    head_time: int | None = None  # the head block's timestamp, unix seconds: the chain's clock


@dataclass(frozen=True)
class IndexerStatus:
    head_block: int | None  # the checkpoint: every event up to here is in the read model
    error: str | None = None  # the read model could not be read
    status: Status | None = None


def indexer_status(engine: Engine, chain_id: int) -> IndexerStatus:
    try:
        with engine.connect() as conn:
            status = load_status(conn, chain_id)
    except SQLAlchemyError as exc:
        return IndexerStatus(None, f"read model unavailable: {exc.__class__.__name__}")
    return IndexerStatus(status.checkpoint, None, status)


def chain_status(settings: Settings) -> ChainStatus:
    """Reads the manifest and asks the node for its chain id and head, with a short timeout."""
    try:
        manifest = load_manifest(settings.deployment.manifest_path)
        contracts, manifest_error = {c.name: c.address for c in manifest.contracts}, None
    except ManifestError as exc:
        contracts, manifest_error = {}, str(exc)
    rpc = JsonRpc(settings.rpc.url, timeout=2)
    try:
        chain_id, head = rpc.chain_id(), rpc.existing_block("latest")
    except LedgerError:
        return ChainStatus(False, None, None, contracts, manifest_error)
    return ChainStatus(
        True, chain_id, int(head["number"], 16), contracts, manifest_error, head_time=int(head["timestamp"], 16)
    )


def indexer_problems(settings: Settings, chain: ChainStatus, indexer: IndexerStatus | None) -> list[str]:
    """Why the indexer is not healthy: a halt, the lag or the silence past its threshold."""
    if indexer is None:
        return []
    if indexer.error:
        return [f"indexer: {indexer.error}"]
    status = indexer.status
    problems: list[str] = []
    if status is None:  # read only when there is no error
        return problems
    if status.halt_kind:
        problems.append(f"indexer: halted by {status.halt_kind}: {status.halt_message}")
    if status.checkpoint is None:
        problems.append("indexer: nothing indexed yet")
    elif chain.head_block is not None and chain.head_block - status.checkpoint > settings.health.max_lag_blocks:
        problems.append(
            f"indexer: {chain.head_block - status.checkpoint} blocks behind the head "
            f"(more than LEDGER_HEALTH_MAX_LAG_BLOCKS={settings.health.max_lag_blocks})"
        )
    if status.poll_age_seconds is not None and status.poll_age_seconds > settings.health.max_poll_age_seconds:
        problems.append(
            f"indexer: no good poll for {status.poll_age_seconds:.0f} s "
            f"(more than LEDGER_HEALTH_MAX_POLL_AGE_SECONDS={settings.health.max_poll_age_seconds:g})"
        )
    return problems


STUCK_SENT_SECONDS = 600.0  # a transaction the writer sent this long ago without a receipt is a problem


def writer_problems(engine: Engine, chain_id: int, *, now: float) -> list[str]:
    """Transactions the writer sent STUCK_SENT_SECONDS ago or more that still have no receipt: one
    waits behind a nonce gap the writer may not fill (its sender is no longer a signer, or the node
    holds another transaction there), or the node lost it; the writer's log names each."""
    try:
        with engine.connect() as conn:
            count, sender, nonce = conn.execute(
                text(
                    "SELECT count(*), min(sender), min(nonce) FROM outbox_transactions "
                    "WHERE chain_id = :chain AND status = 'sent' AND created_at < :before"
                ),
                {"chain": chain_id, "before": now - STUCK_SENT_SECONDS},
            ).one()
    except SQLAlchemyError:  # the read model's own check says the database is unavailable
        return []
    if not count:
        return []
    return [
        f"writer: {count} transaction(s) sent more than {STUCK_SENT_SECONDS:g} s ago have no receipt "
        f"(e.g. nonce {nonce} of {sender}): see the writer's log"
    ]
