"""`GET /metrics`: Prometheus text for the chain, the indexer and the webhook endpoints.

The indexer runs in another process (`ledger index --follow` or the Celery task) and keeps
its counts in the read model, so this reads them at scrape time (a custom collector) rather
than keeping process-local counters.
"""

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy.orm import Session

from ledger.domain.health import ChainStatus, IndexerStatus, chain_status, indexer_status
from ledger.webhooks.delivery import disabled_endpoints
from web.kit.deps import EngineDep, SettingsDep

router = APIRouter(tags=["health"])


class _Snapshot:
    """One scrape's figures as metric families."""

    def __init__(self, chain: ChainStatus, indexer: IndexerStatus | None):
        self.chain, self.indexer = chain, indexer

    def collect(self):
        chain, labels = self.chain, [str(self.chain.chain_id or "")]
        yield GaugeMetricFamily("ledger_chain_up", "1 when the JSON-RPC node answers", value=int(chain.reachable))
        if not chain.reachable:
            return
        head = GaugeMetricFamily("ledger_chain_head_block", "The node's newest block", labels=["chain_id"])
        head.add_metric(labels, chain.head_block)
        yield head
        status = self.indexer.status if self.indexer else None
        if status is None:
            return

        def gauge(name, documentation, value):
            family = GaugeMetricFamily(name, documentation, labels=["chain_id"])
            family.add_metric(labels, value)
            return family

        def counter(name, documentation, value):
            family = CounterMetricFamily(name, documentation, labels=["chain_id"])
            family.add_metric(labels, value)
            return family

        yield gauge(
            "ledger_indexer_up",
            "1 unless the indexer halted on an error that needs an operator",
            int(status.halt_kind is None),
        )
        if status.checkpoint is not None:
            yield gauge(
                "ledger_indexer_checkpoint_block",
                "Every event up to this block is in the read model",
                status.checkpoint,
            )
            yield gauge("ledger_indexer_lag_blocks", "Head minus checkpoint", chain.head_block - status.checkpoint)
        if status.poll_age_seconds is not None:
            yield gauge(
                "ledger_indexer_last_poll_age_seconds",
                "Since the last good poll or committed batch",
                status.poll_age_seconds,
            )
        yield counter("ledger_indexer_events_indexed", "Logs written to the read model", status.events_indexed)
        yield counter("ledger_indexer_unknown_events", "Logs kept raw: a topic no ABI declares", status.unknown_events)
        yield counter("ledger_indexer_reorgs", "Reorgs the indexer rewound", status.reorgs)
        errors = CounterMetricFamily(
            "ledger_indexer_errors", "Errors met by the indexer, by kind", labels=["chain_id", "kind"]
        )
        for kind, count in sorted(status.errors.items()):
            errors.add_metric(labels + [kind], count)
        yield errors


class _Webhooks:
    """Disabled webhook endpoints by subscriber: the office is told (alert on any), whatever the chain does."""

    def __init__(self, disabled: dict[str, int]):
        self.disabled = disabled

    def collect(self):
        family = GaugeMetricFamily(
            "ledger_webhook_endpoints_disabled",
            "Webhook endpoints disabled after no delivery "
            "succeeded for LEDGER_WEBHOOK_DISABLE_AFTER_SECONDS (ledger webhooks enable)",
            labels=["subscriber"],
        )
        for subscriber, count in sorted(self.disabled.items()):
            family.add_metric([subscriber], count)
        yield family


_EXAMPLE = (
    "# HELP ledger_chain_up 1 when the JSON-RPC node answers\n# TYPE ledger_chain_up gauge\nledger_chain_up 1.0\n"
    "# HELP ledger_chain_head_block The node's newest block\n# TYPE ledger_chain_head_block gauge\n"
    'ledger_chain_head_block{chain_id="31337"} 1204.0\n'
)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format",
            "content": {CONTENT_TYPE_LATEST.split(";")[0]: {"example": _EXAMPLE}},
        }
    },
)
def metrics(settings: SettingsDep, engine: EngineDep) -> Response:
    """Head, checkpoint, lag, events indexed, reorgs and errors by kind, disabled webhook endpoints,
    in Prometheus text."""
    chain = chain_status(settings)
    indexer = indexer_status(engine, chain.chain_id) if chain.chain_id is not None else None
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(chain, indexer))
    with Session(engine) as session:
        registry.register(_Webhooks(disabled_endpoints(session)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
