"""`python -m devtools bench api`: (1) payment confirmations accepted per second by one API process against a
bare FastAPI endpoint doing the same insert, in the same run (ratio); (2) end to end, API → chain →
`indexed`, with batching, on a local node: sustained rate and latency percentiles.

Load comes from separate processes over keep-alive connections, with requests signed before the
clock starts (a client's signing is not the server's cost). Traffic goes to 127.0.0.1 only."""

import http.client
import multiprocessing
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import orjson
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ledger.access.signing import sign_request
from devtools.bench.stack import Process, Stack, wait_http
from ledger.db.read_model import Payment
from ledger.db.write_model import Levy, OutboxCommand
from devtools.dev_node import free_port
from ledger.domain import fees, projects
from ledger.domain.schemas.approval import ProjectCreate
from ledger.domain.schemas.office import FeeAssessmentCreate
from devtools.sim.world import World


def seed_levies(stack: Stack, count: int) -> list[dict]:
    """Projects and their assessments written through the domain services (the write path under test
    starts at the payment)."""
    world = World(seed=11, run_tag=int(time.time()) % 97)
    with Session(stack.engine) as session, session.begin():
        for _ in range(count):
            p = world.new_project()
            projects.register_project(session, project=ProjectCreate(**p.registration()), client="bench")
            fees.assess_fee(session, assessment=FeeAssessmentCreate(project_code=p.code), actor="bench")
    with stack.engine.connect() as conn:
        rows = conn.execute(select(Levy.levy_number, Levy.project_code, Levy.payer_uscc)).all()
    return [{"levy_number": r.levy_number, "project_code": r.project_code, "payer_uscc": r.payer_uscc} for r in rows]


def confirmation(levy: dict, voucher: str, paid_at: str) -> dict:
    return {
        "levy_number": levy["levy_number"],
        "voucher_number": voucher,
        "amount_fen": 1,
        "paid_at": paid_at,
        "payer_uscc": levy["payer_uscc"],
    }


def _send_all(args) -> tuple[int, int, float]:
    """One load process: send its prepared requests over one keep-alive connection."""
    port, prepared = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    ok = errors = 0
    started = time.perf_counter()
    for path, body, headers in prepared:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status == 202:
            ok += 1
        else:
            errors += 1
    elapsed = time.perf_counter() - started
    conn.close()
    return ok, errors, elapsed


def _blast(port: int, requests: list, connections: int) -> dict:
    shares = [(port, requests[i::connections]) for i in range(connections)]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(connections) as pool:
        results = pool.map(_send_all, shares)
    elapsed = time.perf_counter() - started
    ok = sum(r[0] for r in results)
    return {
        "accepted": ok,
        "errors": sum(r[1] for r in results),
        "seconds": round(elapsed, 3),
        "per_second": round(ok / elapsed, 1),
    }


def _signed_requests(stack: Stack, levies: list[dict], count: int) -> list:
    key = stack.keys["tax-bureau"]
    paid_at = stack.chain_time().isoformat()  # after the levies were issued, not in the future
    prepared = []
    for i in range(count):
        body = orjson.dumps(confirmation(levies[i % len(levies)], f"B{uuid.uuid4().hex[:20]}", paid_at))
        headers = sign_request(
            key, client_id="tax-bureau", method="POST", target="/v1/tax/payments", body=body
        ).as_dict()
        headers.update({"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex})
        prepared.append(("/v1/tax/payments", body, headers))
    return prepared


def _bare_requests(levies: list[dict], count: int) -> list:
    paid_at = datetime.now(timezone.utc).isoformat()
    prepared = []
    for i in range(count):
        levy = levies[i % len(levies)]
        body = orjson.dumps(confirmation(levy, f"C{uuid.uuid4().hex[:20]}", paid_at))
        prepared.append((f"/bare/payments/{levy['project_code']}", body, {"Content-Type": "application/json"}))
    return prepared


def bench_accept(work_dir: Path, *, requests: int, connections: int, repeats: int) -> dict:
    with Stack(work_dir / "accept", worker=False) as stack:
        levies = seed_levies(stack, 50)
        api_port = int(stack.api_url.rsplit(":", 1)[1])
        bare_port = free_port()
        bare = Process(
            "bare-api",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "devtools.bench.bare_api:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(bare_port),
                "--log-level",
                "warning",
            ],
            stack.env(),
            stack.work_dir,
        )
        stack.processes.append(bare)
        wait_http(f"http://127.0.0.1:{bare_port}/docs", bare)
        _blast(api_port, _signed_requests(stack, levies, 200), connections)  # warm both up
        _blast(bare_port, _bare_requests(levies, 200), connections)
        ours, baseline = [], []
        for _ in range(repeats):  # interleaved: the machine's noise hits both alike
            baseline.append(_blast(bare_port, _bare_requests(levies, requests), connections))
            ours.append(_blast(api_port, _signed_requests(stack, levies, requests), connections))
        ours_rate = statistics.median(r["per_second"] for r in ours)
        bare_rate = statistics.median(r["per_second"] for r in baseline)
        return {
            "api_accepted_per_s": ours_rate,
            "bare_fastapi_per_s": bare_rate,
            "ratio": round(ours_rate / bare_rate, 3),
            "target_ratio": 0.5,
            "run_ratios": [round(o["per_second"] / b["per_second"], 3) for o, b in zip(ours, baseline)],
            "errors": sum(r["errors"] for r in ours + baseline),
            "requests_per_run": requests,
            "connections": connections,
            "repeats": repeats,
        }


def bench_end_to_end(work_dir: Path, *, payments: int, rate: float, batch: int, timeout: float) -> dict:
    with Stack(work_dir / "e2e", api_processes=1) as stack:
        levies = seed_levies(stack, 200)
        with stack.engine.connect() as conn:  # the assessments go on chain first; not part of the figure
            _wait_all_indexed(stack, conn, "assess_fee", len(levies), timeout)
        client = stack.client("tax-bureau")
        paid_at = stack.chain_time().isoformat()  # FeeLedger refuses a payment time before the assessment's block
        sent, started = 0, time.perf_counter()
        while sent < payments:
            items = [
                confirmation(levies[(sent + i) % len(levies)], f"E{uuid.uuid4().hex[:20]}", paid_at)
                for i in range(min(batch, payments - sent))
            ]
            answer = client.post("/v1/tax/payments/batch", {"items": items})
            assert answer["rejected"] == 0, answer
            sent += len(items)
            pause = started + sent / rate - time.perf_counter()  # hold the offered rate
            if pause > 0:
                time.sleep(pause)
        offered_seconds = time.perf_counter() - started
        with stack.engine.connect() as conn:
            _wait_all_indexed(stack, conn, "record_payment", payments, timeout)
            rows = conn.execute(
                select(OutboxCommand.created_at, OutboxCommand.indexed_at).where(OutboxCommand.kind == "record_payment")
            ).all()
            on_chain = conn.execute(select(func.count()).select_from(Payment)).scalar_one()
            transactions = conn.execute(
                text("SELECT count(DISTINCT transaction_hash) FROM outbox_commands WHERE kind = 'record_payment'")
            ).scalar_one()
        latencies = sorted(r.indexed_at - r.created_at for r in rows)
        span = max(r.indexed_at for r in rows) - min(r.created_at for r in rows)
        return {
            "payments": payments,
            "offered_per_s": rate,
            "offered_seconds": round(offered_seconds, 2),
            "indexed_per_s": round(payments / span, 1),
            "target_per_s": 1000,
            "latency_p50_s": round(latencies[len(latencies) // 2], 3),
            "latency_p95_s": round(latencies[int(len(latencies) * 0.95)], 3),
            "target_p50_s": 2.0,
            "payments_on_chain": on_chain,
            "transactions": transactions,
            "api_batch": batch,
        }


def _wait_all_indexed(stack: Stack, conn, kind: str, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        done = conn.execute(
            select(func.count())
            .select_from(OutboxCommand)
            .where(OutboxCommand.kind == kind, OutboxCommand.status == "indexed")
        ).scalar_one()
        failed = conn.execute(
            select(func.count())
            .select_from(OutboxCommand)
            .where(OutboxCommand.kind == kind, OutboxCommand.status == "failed")
        ).scalar_one()
        conn.rollback()
        if failed:
            raise RuntimeError(f"{failed} {kind} commands failed")
        if done >= count:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {count} {kind} commands indexed after {timeout} s")
        time.sleep(0.2)


def bench_api(
    *,
    requests: int = 2000,
    connections: int = 8,
    repeats: int = 3,
    payments: int = 20000,
    rate: float = 1200.0,
    batch: int = 500,
    timeout: float = 300.0,
    end_to_end: bool = True,
) -> dict:
    with tempfile.TemporaryDirectory(prefix="ledger-bench-api-") as tmp:
        result = {"accept": bench_accept(Path(tmp), requests=requests, connections=connections, repeats=repeats)}
        if end_to_end:
            result["end_to_end"] = bench_end_to_end(
                Path(tmp), payments=payments, rate=rate, batch=batch, timeout=timeout
            )
        return result
