"""`python -m devtools bench public`: the public inquiry API (GET /v1/public/projects/{code}) served by one API
process, against a bare FastAPI JSON endpoint in the same run (DESIGN.md §9: ≥ 1,500 requests/s,
≥ 0.5× the bare endpoint, p99 ≤ 50 ms at 200 requests/s).

The read model is seeded directly (projects registered through the domain service, so the
builder's name is encrypted as in production; fee accounts, assessments and commitments written as
the indexer writes them, with proofs): the figure is about serving reads, not indexing. Requests
spread over every seeded project at random. Load comes from separate processes over keep-alive
connections to 127.0.0.1; throughput runs are interleaved with the baseline's and medians reported.
Latency is measured open-loop (from each request's scheduled time, so a slow answer delays the
clock instead of hiding) at a fixed offered rate. Ours is measured with the cache as configured and
again with LEDGER_API_PUBLIC_CACHE_SECONDS=0 (every request reads the database)."""

import http.client
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from devtools.bench.stack import Process, wait_http
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.db.read_model import ChainState, Commitment, FeeAccount, FeeAssessment
from devtools.scratch_db import scratch_database
from ledger.db.write_model import CommitmentRecord
from devtools.dev_node import free_port
from ledger.domain import projects
from ledger.domain.common import enterprise_key_hex, project_key_hex, reference_key_hex
from ledger.domain.rates import fee_fen, shortfall
from ledger.domain.schemas.approval import ProjectCreate
from ledger.chain.rate_tables import SAMPLE_RATE_TABLE
from devtools.sim.world import World

CHAIN_ID = 31337
DAY = 86_400
OUR_APP = ["--factory", "web.app:create_app"]  # uvicorn's arguments for the app under test


def seed(url: str, count: int) -> list[str]:
    """`count` projects, each assessed and partly paid with two commitments in the read model."""
    engine = make_engine(url)
    upgrade_schema(engine)
    world = World(seed=5, run_tag=int(time.time()) % 97)
    now = int(time.time())
    codes, accounts, assessments, records, views = [], [], [], [], []
    with Session(engine) as session, session.begin():
        for n in range(count):
            p = world.new_project()
            projects.register_project(session, project=ProjectCreate(**p.registration()), client="bench")
            key, payer = project_key_hex(p.code), enterprise_key_hex(p.builder.uscc)
            area = shortfall(p.required_area, p.built_area)
            rate = SAMPLE_RATE_TABLE.rates[p.district]
            base = fee_fen(area, rate)
            proof = {
                "block_number": 100 + n,
                "log_index": 0,
                "block_hash": f"0x{n:064x}",
                "transaction_hash": f"0x{n + 1:064x}",
            }
            codes.append(p.code)
            accounts.append(
                {
                    "chain_id": CHAIN_ID,
                    "project": key,
                    "payer": payer,
                    "district": int(p.district),
                    "rate_table_version": 1,
                    "revision": 1,
                    "relief_bps": 0,
                    "base_fen": base,
                    "adjustment_fen": 0,
                    "due_fen": base,
                    "due_at": now + 30 * DAY,
                    "paid_fen": base // 2,
                    "refunded_fen": 0,
                    "refund_owed_fen": 0,
                    "status": "partially_paid",
                    **proof,
                }
            )
            assessments.append(
                {
                    "chain_id": CHAIN_ID,
                    "project": key,
                    "payer": payer,
                    "revision": 1,
                    "district": int(p.district),
                    "rate_table_version": 1,
                    "rate_fen_per_m2": rate,
                    "shortfall_area": area,
                    "base_fen": base,
                    "due_fen": base,
                    "due_at": now + 30 * DAY,
                    "basis_hash": "0x" + SAMPLE_RATE_TABLE.basis_hash.hex(),
                    **proof,
                }
            )
            for i, kind in enumerate(("shelter_build", "fee_payment")):
                number = f"CN-BENCH-{n:06d}-{i}"
                commitment_key = reference_key_hex(number)
                records.append(
                    {
                        "commitment_number": number,
                        "commitment_key": commitment_key,
                        "project_code": p.code,
                        "enterprise_uscc": p.builder.uscc,
                        "kind": kind,
                        "due_date": date.fromtimestamp(now + 90 * DAY),
                        "due_at": now + 90 * DAY,
                        "terms_sha256": "00" * 32,
                        "client": "bench",
                        "command_id": f"cmd_bench_{n}_{i}",
                        "created_at": now,
                    }
                )
                views.append(
                    {
                        "chain_id": CHAIN_ID,
                        "commitment": commitment_key,
                        "project": key,
                        "enterprise": payer,
                        "kind": kind,
                        "status": "recorded",
                        "fulfilled_late": False,
                        "extensions": 0,
                        "signed_at": now,
                        "due_at": now + 90 * DAY,
                        "evidence_submitted_at": 0,
                        "decided_at": 0,
                        "recorded_block": 100 + n,
                        **proof,
                        "log_index": 1 + i,
                    }
                )
        for model, rows in (
            (FeeAccount, accounts),
            (FeeAssessment, assessments),
            (CommitmentRecord, records),
            (Commitment, views),
        ):
            session.execute(insert(model), rows)
        session.execute(
            insert(ChainState),
            [
                {
                    "chain_id": CHAIN_ID,
                    "genesis_hash": "0x" + "00" * 32,
                    "block_number": 100 + count,
                    "block_hash": "0x" + "11" * 32,
                    "updated_at": time.time(),
                }
            ],
        )
    engine.dispose()
    return codes


def _closed_loop(args) -> tuple[int, int, float]:
    """One load process: its requests back to back over one keep-alive connection."""
    port, paths = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    ok = errors = 0
    started = time.perf_counter()
    for path in paths:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        ok, errors = (ok + 1, errors) if response.status == 200 else (ok, errors + 1)
    elapsed = time.perf_counter() - started
    conn.close()
    return ok, errors, elapsed


def _open_loop(args) -> list[float]:
    """One load process at a fixed rate: latency from each request's scheduled time (no coordinated omission)."""
    port, paths, rate, start_at = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies = []
    for i, path in enumerate(paths):
        scheduled = start_at + i / rate
        pause = scheduled - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status}")
        latencies.append(time.perf_counter() - scheduled)
    conn.close()
    return latencies


def _paths(prefix: str, codes: list[str], count: int, rng: random.Random) -> list[str]:
    return [prefix + rng.choice(codes) for _ in range(count)]


def throughput(port: int, paths: list[str], connections: int) -> dict:
    shares = [(port, paths[i::connections]) for i in range(connections)]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(connections) as pool:
        results = pool.map(_closed_loop, shares)
    elapsed = time.perf_counter() - started
    ok = sum(r[0] for r in results)
    return {"ok": ok, "errors": sum(r[1] for r in results), "per_second": round(ok / elapsed, 1)}


def latency(port: int, paths: list[str], rate: float, connections: int = 4) -> dict:
    start_at = time.perf_counter() + 0.5
    shares = [(port, paths[i::connections], rate / connections, start_at + i / rate) for i in range(connections)]
    with multiprocessing.get_context("fork").Pool(connections) as pool:
        latencies = sorted(x for part in pool.map(_open_loop, shares) for x in part)
    return {
        "offered_per_s": rate,
        "requests": len(latencies),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
        "max_ms": round(latencies[-1] * 1000, 2),
    }


def _server(name: str, app: list[str], env: dict, work_dir: Path) -> tuple[Process, int]:
    """`app`: uvicorn's arguments naming the app (with --factory for a factory)."""
    port = free_port()
    process = Process(
        name,
        [
            sys.executable,
            "-m",
            "uvicorn",
            *app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env,
        work_dir,
    )
    return process, port


def bench_public(
    *,
    projects_count: int = 1000,
    requests: int = 6000,
    connections: int = 4,
    repeats: int = 3,
    latency_rate: float = 200.0,
    latency_seconds: float = 10.0,
    database: str = "postgresql://127.0.0.1/test",
) -> dict:
    with tempfile.TemporaryDirectory(prefix="ledger-bench-public-") as tmp:
        work_dir = Path(tmp)
        if database.startswith("sqlite"):
            url, drop = f"sqlite:///{work_dir / 'ledger.db'}", (lambda: None)
        else:
            url, drop = scratch_database(database, prefix="ledger_bench_public")
        processes: list[Process] = []
        try:
            codes = seed(url, projects_count)
            env = {
                **os.environ,
                "LEDGER_DATABASE_URL": url,
                "LEDGER_API_PUBLIC_BURST": "1000000000",
                "LEDGER_API_PUBLIC_RATE_PER_SECOND": "1000000000",
            }
            ours, ours_port = _server("public-api", OUR_APP, env, work_dir)
            uncached, uncached_port = _server(
                "public-api-uncached", OUR_APP, {**env, "LEDGER_API_PUBLIC_CACHE_SECONDS": "0"}, work_dir
            )
            bare, bare_port = _server("bare-api", ["devtools.bench.bare_public:app"], env, work_dir)
            processes += [ours, uncached, bare]
            for process, port in ((ours, ours_port), (uncached, uncached_port), (bare, bare_port)):
                wait_http(f"http://127.0.0.1:{port}/openapi.json", process)
            rng = random.Random(7)
            ours_path, bare_path = "/v1/public/projects/", "/bare/projects/"
            for port, prefix in ((ours_port, ours_path), (uncached_port, ours_path), (bare_port, bare_path)):
                throughput(port, _paths(prefix, codes, 500, rng), connections)  # warm up
            runs = {"ours": [], "uncached": [], "bare": []}
            for _ in range(repeats):  # interleaved: the machine's noise hits all alike
                runs["bare"].append(throughput(bare_port, _paths(bare_path, codes, requests, rng), connections))
                runs["ours"].append(throughput(ours_port, _paths(ours_path, codes, requests, rng), connections))
                runs["uncached"].append(
                    throughput(uncached_port, _paths(ours_path, codes, requests // 3, rng), connections)
                )
            rates = {name: statistics.median(r["per_second"] for r in results) for name, results in runs.items()}
            count = int(latency_rate * latency_seconds)
            latencies = {
                name: latency(port, _paths(prefix, codes, count, rng), latency_rate)
                for name, port, prefix in (
                    ("ours", ours_port, ours_path),
                    ("uncached", uncached_port, ours_path),
                    ("bare", bare_port, bare_path),
                )
            }
            return {
                "public_per_s": rates["ours"],
                "bare_fastapi_per_s": rates["bare"],
                "ratio": round(rates["ours"] / rates["bare"], 3),
                "target_per_s": 1500,
                "target_ratio": 0.5,
                "uncached_per_s": rates["uncached"],
                "uncached_ratio": round(rates["uncached"] / rates["bare"], 3),
                "latency_ours": latencies["ours"],
                "latency_uncached": latencies["uncached"],
                "latency_bare": latencies["bare"],
                "target_p99_ms": 50,
                "errors": sum(r["errors"] for results in runs.values() for r in results),
                "projects": projects_count,
                "requests_per_run": requests,
                "connections": connections,
                "repeats": repeats,
                "database": "sqlite" if url.startswith("sqlite") else "postgresql",
                "cache": "kept until the indexer changes the project (web/kit/read_cache.py)",
            }
        finally:
            for process in processes:
                process.stop()
            drop()
