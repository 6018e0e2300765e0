"""What `/health` reports: the chain, the deployment and (once indexed) the read model."""

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ledger.errors import LedgerError, ManifestError
from ledger.rpc import JsonRpc
from ledger.indexer.store import load_checkpoint
from ledger.manifest import load_manifest
from ledger.settings import Settings


@dataclass(frozen=True)
class ChainStatus:
    reachable: bool
    chain_id: int | None
    head_block: int | None
    contracts: dict[str, str]
    manifest_error: str | None = None


@dataclass(frozen=True)
class IndexerStatus:
    head_block: int | None  # the checkpoint: every event up to here is in the read model
    error: str | None = None


def indexer_status(engine: Engine, chain_id: int) -> IndexerStatus:
    try:
        with engine.connect() as conn:
            checkpoint = load_checkpoint(conn, chain_id)
    except SQLAlchemyError as exc:
        return IndexerStatus(None, f"read model unavailable: {exc.__class__.__name__}")
    return IndexerStatus(checkpoint.block_number if checkpoint else None)


def chain_status(settings: Settings) -> ChainStatus:
    """Reads the manifest and asks the node for its chain id and head, with a short timeout."""
    try:
        manifest = load_manifest(settings.manifest_path)
        contracts, manifest_error = {c.name: c.address for c in manifest.contracts}, None
    except ManifestError as exc:
        contracts, manifest_error = {}, str(exc)
    rpc = JsonRpc(settings.rpc_url, timeout=2)
    try:
        chain_id, head = rpc.chain_id(), rpc.block_number()
    except LedgerError:
        return ChainStatus(False, None, None, contracts, manifest_error)
    return ChainStatus(True, chain_id, head, contracts, manifest_error)
