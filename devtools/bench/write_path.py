"""`python -m devtools bench write-path`: payment confirmations end to end through the durable write path.

On a fresh local node: confirmations enter through the domain service (as the API calls it:
batches of 500, one SQL transaction each) at a steady offered rate; the outbox writer drains
them into `recordPayments` calls and the indexer mirrors the events; a confirmation's latency
is `indexed_at − created_at`. The baseline in the same run is the chain alone: the same number
of payments sent straight to the contract in the writer's batch size, with no database at all.
"""

import statistics
import threading
import time
from datetime import datetime, timezone

from sqlalchemy import text
from sqlmodel import Session

from ledger.chain.node import Sender, connect, signers_from_mnemonic
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from devtools.scratch_db import scratch_database
from ledger.chain.deploy import deploy
from devtools.dev_node import LocalNode
from ledger.domain import fees, payments, projects
from ledger.domain.schemas.approval import ProjectCreate
from ledger.domain.schemas.office import FeeAssessmentCreate
from ledger.domain.schemas.tax import PaymentBatch, PaymentConfirmation
from ledger.core.identifiers import project_key, reference_key
from ledger.indexer.loop import Indexer, IndexerConfig
from ledger.chain.rpc import JsonRpc
from ledger.core.settings import DEV_MNEMONIC
from ledger.writer.writer import OutboxWriter, WriterConfig

PROJECTS = 50
REQUEST_SIZE = 500


def _uscc(n: int) -> str:
    from stdnum.cn import uscc

    base = f"91410100MB{n:07d}"
    return base + uscc.calc_check_digit(base)


def _setup(engine) -> list[tuple[str, str]]:
    """Register and assess PROJECTS projects; returns (levy number, payer) pairs."""
    levies = []
    with Session(engine) as s:
        for n in range(PROJECTS):
            code = f"2026-410105-47-01-{n:06d}"
            projects.register_project(
                s,
                project=ProjectCreate(
                    project_code=code,
                    name=f"bench {n}",
                    builder_uscc=_uscc(n),
                    builder_name=f"bench builder {n}",
                    district="410105",
                    required_shelter_area=10_000_000,
                    built_shelter_area=0,
                ),
                client="bench",
            )
            fees.assess_fee(s, assessment=FeeAssessmentCreate(project_code=code), actor="bench")
            levies.append((f"{code}-A1", _uscc(n)))
        s.commit()
    return levies


def _loop(stop: threading.Event, step) -> threading.Thread:
    def run():
        while not stop.is_set():
            if not step():
                time.sleep(0.02)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def bench_write_path(
    confirmations: int = 20_000,
    rate: float = 1_500.0,
    database: str = "sqlite",
    postgres: str = "postgresql://127.0.0.1/test",
    batch_size: int = 250,
) -> dict:
    drop = None
    with LocalNode() as node:
        w3 = connect(node.url)
        signers = signers_from_mnemonic(DEV_MNEMONIC)
        manifest, _ = deploy(w3, signers)
        if database == "sqlite":
            import tempfile

            url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-write-')}/ledger.db"
        else:
            url, drop = scratch_database(postgres, prefix="ledger_bench_write")
        try:
            engine = make_engine(url)
            upgrade_schema(engine)
            writer = OutboxWriter(
                engine=engine,
                rpc=JsonRpc(node.url),
                manifest=manifest,
                signers=signers,
                owner="bench",
                config=WriterConfig(batch_size=batch_size, max_in_flight=4),
            )
            indexer = Indexer(
                engine=make_engine(url),
                rpc=JsonRpc(node.url),
                manifest=manifest,
                config=IndexerConfig(poll_seconds=0.02),
                owner="bench-indexer",
            )
            indexer.catch_up()  # the rate table deploy published: the services read it from the read model
            levies = _setup(engine)
            while writer.run_once():  # the assessments
                pass
            indexer.catch_up()
            writer.mark_indexed()

            stop = threading.Event()
            threads = [_loop(stop, writer.run_once), _loop(stop, indexer.run_once)]
            paid_at = datetime.fromtimestamp(w3.eth.get_block("latest")["timestamp"], timezone.utc)  # chain time
            started = time.monotonic()
            accept_seconds = 0.0
            for first in range(0, confirmations, REQUEST_SIZE):
                due = started + first / rate
                time.sleep(max(0.0, due - time.monotonic()))
                items = [
                    PaymentConfirmation(
                        levy_number=levies[i % PROJECTS][0],
                        voucher_number=f"BV-{i}",
                        amount_fen=1,
                        paid_at=paid_at,
                        payer_uscc=levies[i % PROJECTS][1],
                    )
                    for i in range(first, min(first + REQUEST_SIZE, confirmations))
                ]
                t0 = time.monotonic()
                with Session(engine) as s:
                    result = payments.confirm_payments(s, batch=PaymentBatch(items=items), client="bench")
                    s.commit()
                accept_seconds += time.monotonic() - t0
                assert result.rejected == 0
            offered_seconds = time.monotonic() - started
            while True:
                with engine.connect() as conn:
                    pending = conn.execute(
                        text("SELECT count(*) FROM outbox_commands WHERE status <> 'indexed'")
                    ).scalar()
                if not pending:
                    break
                time.sleep(0.05)
            elapsed = time.monotonic() - started
            stop.set()
            for thread in threads:
                thread.join(10)
            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT indexed_at - created_at, transaction_id FROM outbox_commands "
                        "WHERE kind = 'record_payment'"
                    )
                ).all()
            latencies = sorted(r[0] for r in rows)
            transactions = len({r[1] for r in rows})
            engine.dispose()
            indexer.engine.dispose()
        finally:
            if drop:
                drop()

        # Baseline: the chain alone, same batches, no database.
        tax = Sender(w3, signers["TAX_ROLE"])
        fee = w3.eth.contract(
            address=manifest.latest("FeeLedger").address,
            abi=__import__("ledger.chain.artifacts", fromlist=["load_artifact"]).load_artifact("FeeLedger")["abi"],
        )
        now = w3.eth.get_block("latest")["timestamp"]
        t0 = time.monotonic()
        for first in range(0, confirmations, batch_size):
            batch = [
                (project_key(f"2026-410105-47-01-{i % PROJECTS:06d}"), reference_key(f"BASE-{i}"), 1, now)
                for i in range(first, min(first + batch_size, confirmations))
            ]
            tax.send(fee.functions.recordPayments(batch), gas=60_000 + 45_000 * len(batch))
        chain_only = time.monotonic() - t0

    return {
        "database": database,
        "confirmations": confirmations,
        "offered_rate_per_s": rate,
        "end_to_end_per_s": round(confirmations / elapsed, 1),
        "latency_p50_s": round(statistics.median(latencies), 3),
        "latency_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
        "latency_max_s": round(latencies[-1], 3),
        "transactions": transactions,
        "service_accept_per_s": round(confirmations / accept_seconds, 1),
        "offer_seconds": round(offered_seconds, 2),
        "baseline_chain_only_per_s": round(confirmations / chain_only, 1),
        "ratio_vs_chain_only": round(chain_only / elapsed, 3),
    }
