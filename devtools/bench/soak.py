"""Soak run: the crash harness's mixed workload at a fixed rate for minutes, with a fault every few seconds.

The system is the crash harness's (devtools/crash.py: anvil with its chain in a state file, two API
processes, the Celery worker with the writer and beat, the standalone indexer) on a PostgreSQL server
and a Redis of the run's own (devtools/postgres_server.py, devtools/redis_server.py, free ports), so
restarting them touches nothing else on the machine. The load is open-loop: a scheduler starts one
operation of the seeded mix every 1/rate seconds whether or not the earlier ones have answered, and each
request's latency counts from when it was due, so a stalled system shows in p99 rather than in a
slower offered rate. Every `fault_every` seconds the next fault of FAULTS, in turn, hits the system:
PostgreSQL crashed (`pg_ctl -m immediate`) and started again, Redis SIGKILLed and started again, the
node crashed with its chain kept, or an API process, the worker or the indexer SIGKILLed and started
again. Afterwards the crash harness's checks run (devtools.crash.settle_and_check): each unanswered or
503 write is sent again under its key, the commands settle, `lost` counts acknowledged writes whose
business key is not on chain, `duplicated` business keys on chain more than once, and the read model
is compared with a fresh re-index and audited.
"""

import math
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from devtools.crash import OPERATIONS, Harness, running_system, settle_and_check
from devtools.postgres_server import PostgresServer
from devtools.redis_server import RedisServer
from ledger.core.errors import LedgerError

FAULTS = ("postgres", "redis", "node", "api", "worker", "indexer")


class Latencies:
    """Each request's answer and latency. The first request of an operation counts from when the
    operation was due (its wait for a free thread included: open-loop, no coordinated omission); the
    others of the same operation (an acceptance's three writes) from when each was sent."""

    def __init__(self):
        self.answers: Counter = Counter()
        self.milliseconds: list[float] = []
        self._lock = threading.Lock()
        self._due = threading.local()

    def operation_due(self, due: float) -> None:
        self._due.at = due

    def __call__(self, answer: str, sent_at: float) -> None:
        due = getattr(self._due, "at", None)
        self._due.at = None
        elapsed = time.monotonic() - (min(due, sent_at) if due is not None else sent_at)
        with self._lock:
            self.answers[answer] += 1
            self.milliseconds.append(elapsed * 1000)

    def percentile(self, fraction: float) -> float | None:
        with self._lock:
            ordered = sorted(self.milliseconds)
        if not ordered:
            return None
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)


def faults_within(seconds: float, every: float) -> int:
    """How many faults a run of `seconds` gets: one every `every` seconds, strictly before its end (the
    workload's drain after the end is not the faults' time)."""
    return max(0, math.ceil(seconds / every) - 1)


class Faults:
    """Each fault in turn every `every` seconds, from a thread of its own so the schedule stays on time;
    `count` of them at most (faults_within the workload's duration)."""

    def __init__(
        self,
        harness: Harness,
        postgres: PostgresServer,
        broker: RedisServer,
        every: float,
        count: int,
        seed: int,
        log: Callable[[str], None],
    ):
        self.harness, self.postgres, self.broker, self.every, self.log = harness, postgres, broker, every, log
        self.count = count
        self.rng = random.Random(seed)
        self.done: list[tuple[str, float]] = []  # (kind, seconds from the fault to the part started again)
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="faults", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        origin = time.monotonic()
        for n in range(self.count):  # on a fixed timeline: a slow restart does not push the next fault back
            if self._stop.wait(max(0.0, origin + (n + 1) * self.every - time.monotonic())):
                return
            kind = FAULTS[n % len(FAULTS)]
            hit_at = time.monotonic()
            try:
                self.hit(kind, down_for=self.rng.uniform(0.2, 2.0))
            except Exception as exc:  # recorded, and the faults go on: the run's checks say the rest
                self.errors.append(f"{kind}: {exc}")
            self.done.append((kind, round(time.monotonic() - hit_at, 1)))
            self.log(f"soak: fault {n + 1} at {hit_at - origin:.0f} s: {kind}, back after {self.done[-1][1]} s")

    def hit(self, kind: str, down_for: float) -> None:
        if kind == "postgres":
            self.harness.kills[kind] += 1
            self.postgres.stop("immediate")  # connections die mid-transaction, as in a crash
            time.sleep(down_for)
            self.postgres.start()
        elif kind == "redis":
            self.harness.kills[kind] += 1
            self.broker.stop()  # SIGKILL: the broker's queues are gone
            time.sleep(down_for)
            self.broker.start()
        else:
            self.harness.kill_and_restart(kind, down_for)


def drive(harness: Harness, latencies: Latencies, rate: float, seconds: float, seed: int) -> dict:
    """Start one seeded operation every 1/rate s for `seconds`; wait for all of them to end."""
    schedule = random.Random(seed)
    lags: list[float] = []
    errors: Counter = Counter()

    def run(op: str, due: float) -> None:
        lags.append(time.monotonic() - due)
        latencies.operation_due(due)
        try:
            harness.operation(op)
        except Exception as exc:  # a defect of the harness or an answer it did not expect: reported, not lost
            errors[f"{op}: {type(exc).__name__}: {exc}"[:300]] += 1

    # Open-loop: enough threads that a stalled minute does not hold the schedule back (a due operation
    # waiting for a thread still counts its wait in its latency).
    with ThreadPoolExecutor(max(16, min(128, int(rate * 20)))) as pool:
        started = time.monotonic()
        offered = 0
        while (due := started + offered / rate) < started + seconds:
            time.sleep(max(0.0, due - time.monotonic()))
            pool.submit(run, schedule.choice(OPERATIONS), due)
            offered += 1
    lags.sort()
    return {
        "offered": offered,
        "start_lag_p99_ms": round(lags[int(0.99 * (len(lags) - 1))] * 1000, 1) if lags else None,
        "operation_errors": dict(errors),
    }


def run_soak(
    minutes: float,
    rate: float,
    fault_every: float,
    seed: int,
    work_dir: Path,
    *,
    log: Callable[[str], None] = print,
) -> dict:
    """Start the system on servers of its own, drive it with faults for `minutes`, check, stop; the figures."""
    if minutes <= 0:
        raise LedgerError(f"minutes must be above 0 (got {minutes})")
    if rate <= 0:
        raise LedgerError(f"rate must be above 0 requests per second (got {rate})")
    if fault_every <= 0:
        raise LedgerError(f"fault_every must be above 0 seconds (got {fault_every})")
    log(f"soak: {minutes} min at {rate} operations/s, a fault every {fault_every} s, seed {seed}; logs in {work_dir}")
    began = time.monotonic()
    with (
        PostgresServer() as postgres,
        RedisServer() as broker,
        running_system(work_dir, seed, postgres_server=postgres.url, redis_url=broker.url) as harness,
    ):
        latencies = Latencies()
        harness.observe = latencies
        faults = Faults(harness, postgres, broker, fault_every, faults_within(minutes * 60, fault_every), seed, log)
        ready = time.monotonic()
        log(f"soak: system up in {ready - began:.0f} s; driving")
        faults.start()
        try:
            load = drive(harness, latencies, rate, minutes * 60, seed)
        finally:
            faults.stop()
        harness.observe = None  # the checks' own retries are not the workload's requests
        # A part that died without being hit (e.g. on a lost database) would be a finding: nothing restarts it.
        exited = [f"{p.name} exited by itself ({p.log_path})" for p in harness.stack.processes if not p.alive()]
        ran = time.monotonic()
        log(f"soak: {load['offered']} operations, faults {dict(harness.kills)}; checking")
        checked = settle_and_check(harness)
        finished = time.monotonic()
    violations = [
        *(f"fault {error}" for error in faults.errors),
        *exited,
        *(f"operation raised {error} ({n}x)" for error, n in load["operation_errors"].items()),
        *checked["violations"],
    ]
    return {
        "minutes": minutes,
        "rate": rate,
        "fault_every": fault_every,
        "seed": seed,
        "requests": dict(latencies.answers),
        "p50_ms": latencies.percentile(0.50),
        "p99_ms": latencies.percentile(0.99),
        "faults": dict(harness.kills),
        "commands": checked["commands"],
        "lost": checked["lost"],
        "duplicated": checked["duplicated"],
        "violations": violations,
        "offered": load["offered"],
        "start_lag_p99_ms": load["start_lag_p99_ms"],
        "writes": checked["writes"],
        "unanswered_retried": checked["unanswered_retried"],
        "keys_on_chain": checked["keys_on_chain"],
        "checkpoint": checked["checkpoint"],
        "head": checked["head"],
        "audit_events": checked["audit_events"],
        "seconds": {
            "setup": round(ready - began, 1),
            "workload": round(ran - ready, 1),
            "checks": round(finished - ran, 1),
            "faults": faults.done,
        },
    }


def main_soak(minutes: float, rate: float, fault_every: float, seed: int | None, work_dir: Path | None) -> dict:
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 10**6)
    if work_dir is None:
        import tempfile

        work_dir = Path(tempfile.mkdtemp(prefix=f"ledger-soak-{seed}-"))
    return run_soak(
        minutes, rate, fault_every, seed, work_dir, log=lambda line: print(line, file=sys.stderr, flush=True)
    )
