"""Build an indexer from Settings (for the CLI, the Celery task and `make run`)."""

from ledger.chain.manifest import load_manifest
from ledger.chain.rpc import JsonRpc
from ledger.core.settings import Settings, process_owner_id
from ledger.db.engine import make_engine
from ledger.db.schema import require_current_schema
from ledger.indexer.loop import Indexer, IndexerConfig


def indexer_config(settings: Settings) -> IndexerConfig:
    return IndexerConfig(
        confirmations=settings.indexer.confirmations,
        reorg_limit=settings.indexer.reorg_limit,
        range_max=settings.indexer.index_range_max,
        target_logs=settings.indexer.index_target_logs,
        use_finalized=settings.indexer.use_finalized_tag,
        lease_seconds=settings.indexer.indexer_lease_seconds,
        poll_seconds=settings.indexer.index_poll_seconds,
        retry_max_seconds=settings.indexer.index_retry_max_seconds,
    )


def indexer_owner(settings: Settings) -> str:
    """The configured id, or one made in this process: Celery forks its pool after the Settings
    were read, and children sharing the parent's default id would all pass the lease check."""
    return settings.indexer.indexer_id if "indexer_id" in settings.indexer.model_fields_set else process_owner_id()


def build_rpc(settings: Settings) -> JsonRpc:
    return JsonRpc(settings.rpc.url, timeout=settings.rpc.timeout_seconds, batch_size=settings.rpc.batch_size)


def build_indexer(settings: Settings, *, rebuild: bool = False, progress: bool = False) -> Indexer:
    engine = make_engine(settings.database.url)
    require_current_schema(engine)  # the upgrade is `ledger db upgrade`'s, never a side effect of starting
    return Indexer(
        engine=engine,
        rpc=build_rpc(settings),
        manifest=load_manifest(settings.deployment.manifest_path),
        config=indexer_config(settings),
        owner=indexer_owner(settings),
        rebuild=rebuild,
        progress=progress,
    )
