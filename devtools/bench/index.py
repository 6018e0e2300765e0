"""`python -m devtools bench index`: backfill speed of the indexer against baselines run in the same process.

(a) the indexer into SQLite, (b) into PostgreSQL, (c) the idiomatic path — web3's
`contract.events.X.get_logs` and an ORM insert per row — and (d) raw `eth_getLogs` fetches
over the same adaptive ranges with no decoding. (e) the cost per batch of one enterprise's
commitment summary as its history grows to 100,000 events: incremental fold vs full recount.
"""

import statistics
import tempfile
import time
from pathlib import Path

import orjson
from sqlmodel import Session

from devtools.bench.workload import Workload
from ledger.chain.node import connect, contract_at, signers_from_mnemonic
from ledger.db import read_model as models
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.db.bulk import insert_rows
from devtools.scratch_db import scratch_database
from ledger.chain.deploy import deploy
from devtools.dev_node import LocalNode
from ledger.indexer.aggregates import apply_summary_changes, recount_summaries
from ledger.indexer.loop import Indexer, IndexerConfig
from ledger.indexer.ranges import RangeSizer, fetch_range
from ledger.indexer.projector import SummaryChange
from ledger.chain.rpc import JsonRpc
from ledger.core.settings import DEV_MNEMONIC


def _indexer_rate(url: str, node_url: str, manifest, config: IndexerConfig) -> tuple[int, float]:
    engine = make_engine(url)
    upgrade_schema(engine)
    indexer = Indexer(engine=engine, rpc=JsonRpc(node_url), manifest=manifest, config=config, owner="bench")
    started = time.perf_counter()
    events = indexer.catch_up()
    elapsed = time.perf_counter() - started
    engine.dispose()
    return events, events / elapsed


def _raw_fetch_rate(node_url: str, manifest, config: IndexerConfig, head: int) -> tuple[int, float]:
    rpc, sizer = JsonRpc(node_url), RangeSizer(config.range_max, config.target_logs)
    addresses = [c.address.lower() for c in manifest.contracts]
    low, events = manifest.start_block, 0
    started = time.perf_counter()
    while low <= head:
        high, logs = fetch_range(rpc, addresses, sizer, low, head)
        events += len(logs)
        low = high + 1
    return events, events / (time.perf_counter() - started)


# The idiomatic path: each event type through web3's decoder, an ORM object per row.
NAIVE_ROWS = {
    "FeeAssessed": lambda a: models.FeeAssessment(
        project=a.project.hex(),
        payer=a.payer.hex(),
        revision=a.revision,
        district=a.district,
        rate_table_version=a.rateTableVersion,
        rate_fen_per_m2=a.rateFenPerM2,
        shortfall_area=a.shortfallArea,
        base_fen=a.baseFen,
        due_fen=a.dueFen,
        assessed_at=a.assessedAt,
        due_at=a.dueAt,
        basis_hash=a.basisHash.hex(),
    ),
    "FeeAdjusted": lambda a: models.FeeAdjustment(
        project=a.project.hex(),
        reason=a.reason.hex(),
        delta_fen=a.deltaFen,
        document_hash=a.documentHash.hex(),
        due_fen=a.dueFen,
    ),
    "PaymentRecorded": lambda a: models.Payment(
        project=a.project.hex(), voucher=a.voucher.hex(), amount_fen=a.amountFen, paid_at=a.paidAt, late=a.late
    ),
    "RefundRecorded": lambda a: models.Refund(
        project=a.project.hex(), refund_ref=a.refundRef.hex(), amount_fen=a.amountFen, refunded_at=a.refundedAt
    ),
}


def _naive_rate(node_url: str, manifest, head: int) -> tuple[int, float]:
    w3 = connect(node_url)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/naive.db")
        upgrade_schema(engine)
        started, events = time.perf_counter(), 0
        with Session(engine) as session:
            for deployment in manifest.contracts:
                contract = contract_at(w3, deployment.name, deployment.address)
                for event_abi in (e for e in contract.abi if e["type"] == "event"):
                    event = getattr(contract.events, event_abi["name"])
                    for entry in event.get_logs(from_block=deployment.deployed_block, to_block=head):
                        proof = dict(
                            chain_id=manifest.chain_id,
                            block_number=entry.blockNumber,
                            log_index=entry.logIndex,
                            block_hash=entry.blockHash.hex(),
                            transaction_hash=entry.transactionHash.hex(),
                        )
                        session.add(
                            models.RawEvent(
                                **proof,
                                contract=deployment.name,
                                address=entry.address,
                                event=entry.event,
                                topics=b"",
                                data=orjson.dumps(dict(entry.args), default=str),
                            )
                        )
                        if entry.event in NAIVE_ROWS:
                            row = NAIVE_ROWS[entry.event](entry.args)
                            for key, value in proof.items():
                                setattr(row, key, value)
                            session.add(row)
                        events += 1
                    session.commit()
        elapsed = time.perf_counter() - started
        engine.dispose()
    return events, events / elapsed


def bench_summary_cost(sizes: tuple[int, ...] = (1_000, 10_000, 100_000), batches: int = 20) -> dict:
    """Cost per batch of keeping one enterprise's commitment summary, as its history grows:
    the indexer's incremental fold against recounting the whole history (the old way), on SQLite."""
    chain_id, enterprise = 1, "0x" + "ab" * 32
    change = SummaryChange([1, 0, 0, 0, 0, 0], (0, 0, "0x" + "00" * 32, "0x" + "00" * 32))
    columns = (
        "chain_id",
        "block_number",
        "log_index",
        "block_hash",
        "transaction_hash",
        "commitment",
        "enterprise",
        "event",
        "status",
    )
    rows: dict[int, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/summaries.db")
        upgrade_schema(engine)
        history = 0
        for size in sizes:
            with engine.begin() as conn:  # grow the enterprise's history to `size` events
                insert_rows(
                    conn,
                    "commitment_events",
                    columns,
                    [
                        (
                            chain_id,
                            n,
                            0,
                            "0x" + "00" * 32,
                            "0x" + "00" * 32,
                            f"0x{n:064x}",
                            enterprise,
                            "recorded",
                            "recorded",
                        )
                        for n in range(history, size)
                    ],
                )
                history = size
                recount_summaries(conn, chain_id, {enterprise})
            timings = {}
            for name, step in (
                ("incremental", lambda conn: apply_summary_changes(conn, chain_id, {enterprise: change})),
                ("recount", lambda conn: recount_summaries(conn, chain_id, {enterprise})),
            ):
                started = time.perf_counter()
                for _ in range(batches):
                    with engine.begin() as conn:
                        step(conn)
                timings[f"{name}_ms_per_batch"] = round((time.perf_counter() - started) * 1000 / batches, 3)
            rows[size] = timings
        engine.dispose()
    first, last = rows[sizes[0]], rows[sizes[-1]]
    return {
        "history_events": rows,
        "incremental_growth": round(last["incremental_ms_per_batch"] / first["incremental_ms_per_batch"], 2),
        "recount_growth": round(last["recount_ms_per_batch"] / first["recount_ms_per_batch"], 2),
    }


def bench_index(events: int, postgres: str | None = None, repeats: int = 3, *, node_kind: str = "hardhat") -> dict:
    config = IndexerConfig()
    with LocalNode(kind=node_kind) as node:  # LocalNode refuses an unknown kind
        w3 = connect(node.url)
        signers = signers_from_mnemonic(DEV_MNEMONIC)
        manifest, _ = deploy(w3, signers)
        emit_started = time.perf_counter()
        Workload(w3, manifest, signers).every_event(events)
        emit_seconds = time.perf_counter() - emit_started
        head = w3.eth.block_number

        result = {
            "node": node_kind,
            "events": None,
            "blocks": head,
            "emit_seconds": round(emit_seconds, 1),
            "repeats": repeats,
        }
        # The machine is noisy: interleave the indexer and its raw baseline and take medians.
        raw_rates, sqlite_rates = [], []
        for _ in range(repeats):
            raw_events, rate = _raw_fetch_rate(node.url, manifest, config, head)
            raw_rates.append(rate)
            with tempfile.TemporaryDirectory() as tmp:
                indexed, rate = _indexer_rate(f"sqlite:///{Path(tmp) / 'bench.db'}", node.url, manifest, config)
            sqlite_rates.append(rate)
        raw_rate, sqlite_rate = statistics.median(raw_rates), statistics.median(sqlite_rates)
        result["sqlite_runs"] = [round(r) for r in sqlite_rates]
        result["raw_fetch_runs"] = [round(r) for r in raw_rates]
        result["postgres_events_per_s"] = None
        if postgres:
            url, drop = scratch_database(postgres, prefix="ledger_bench")
            try:
                pg_indexed, pg_rate = _indexer_rate(url, node.url, manifest, config)
            finally:
                drop()
            assert pg_indexed == indexed, (pg_indexed, indexed)
            result["postgres_events_per_s"] = round(pg_rate)
        naive_events, naive_rate = _naive_rate(node.url, manifest, head)
        assert raw_events == indexed == naive_events, (raw_events, indexed, naive_events)
        result.update(
            events=indexed,
            sqlite_events_per_s=round(sqlite_rate),
            naive_events_per_s=round(naive_rate),
            raw_fetch_events_per_s=round(raw_rate),
            ratio_vs_naive=round(sqlite_rate / naive_rate, 2),
            ratio_vs_raw=round(sqlite_rate / raw_rate, 2),
        )
    result["enterprise_summary_cost"] = bench_summary_cost()
    return result
