"""`python -m devtools bench audit`: `ledger audit verify` (rebuild along the independent path + diff)
against a re-index by the indexer of the same chain into SQLite, in the same run."""

import statistics
import tempfile
import time
from pathlib import Path

from ledger.audit.verify import verify
from devtools.bench.workload import Workload
from ledger.chain.node import connect, signers_from_mnemonic
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.chain.deploy import deploy
from devtools.dev_node import LocalNode
from ledger.indexer.loop import Indexer, IndexerConfig
from ledger.chain.rpc import JsonRpc
from ledger.core.settings import DEV_MNEMONIC


def bench_audit(events: int = 20_000, repeats: int = 3) -> dict:
    with LocalNode() as node, tempfile.TemporaryDirectory() as tmp:
        w3 = connect(node.url)
        signers = signers_from_mnemonic(DEV_MNEMONIC)
        manifest, _ = deploy(w3, signers)
        Workload(w3, manifest, signers).every_event(events)
        reindex_rates, audit_rates, report = [], [], None
        for run in range(repeats):  # interleaved: the machine is noisy
            url = f"sqlite:///{Path(tmp) / f'live-{run}.db'}"
            engine = make_engine(url)
            upgrade_schema(engine)
            indexer = Indexer(
                engine=engine, rpc=JsonRpc(node.url), manifest=manifest, config=IndexerConfig(), owner="bench"
            )
            started = time.perf_counter()
            indexed = indexer.catch_up()
            reindex_rates.append(indexed / (time.perf_counter() - started))
            started = time.perf_counter()
            report = verify(w3, manifest, engine)
            audit_rates.append(report.events / (time.perf_counter() - started))
            if not report.equal:
                raise AssertionError("\n".join(report.lines()))
            if run == repeats - 1:  # once: the reference decoder, web3's ContractEvent.process_log
                started = time.perf_counter()
                reference = verify(w3, manifest, engine, decoder="events")
                reference_rate = reference.events / (time.perf_counter() - started)
            engine.dispose()
        reindex, audit = statistics.median(reindex_rates), statistics.median(audit_rates)
        return {
            "events": report.events,
            "repeats": repeats,
            "reindex_events_per_s": round(reindex),
            "audit_events_per_s": round(audit),
            "ratio_vs_reindex": round(audit / reindex, 2),
            "audit_process_log_events_per_s": round(reference_rate),
            "audit_runs": [round(r) for r in audit_rates],
            "reindex_runs": [round(r) for r in reindex_rates],
            "last_rebuild_seconds": round(report.rebuild_seconds, 2),
            "last_compare_seconds": round(report.compare_seconds, 2),
        }
