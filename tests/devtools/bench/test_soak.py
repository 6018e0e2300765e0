"""`python -m devtools bench soak` (devtools/bench/soak.py), bounded: the mixed workload at a fixed rate
against the whole system on a PostgreSQL and a Redis of the run's own, with faults on a timeline. `make
test` runs 18 s of workload with one fault (PostgreSQL crashed and started again, the first in turn);
`make test-deep` a minute and a half with every kind of fault. `make soak` runs the long one. The seed is
printed and may be given with LEDGER_SOAK_SEED to replay a run's schedule."""

import json
import os
import random
import subprocess
import sys
import time

from devtools.bench.soak import FAULTS, Latencies, faults_within
from tests.support.depth import DEEP

MINUTES, FAULT_EVERY = (1.5, 13) if DEEP else (0.3, 10)  # the last fault is over well before the end


def test_a_short_soak_with_a_fault_prints_its_figures_loses_nothing_and_duplicates_nothing(tmp_path):
    seed = int(os.environ.get("LEDGER_SOAK_SEED") or random.SystemRandom().randrange(1, 10**6))
    print(f"soak seed {seed} (replay: LEDGER_SOAK_SEED={seed})")
    command = [sys.executable, "-m", "devtools", "bench", "soak", "--minutes", str(MINUTES)]
    command += ["--rate", "4", "--fault-every", str(FAULT_EVERY), "--seed", str(seed), "--work-dir", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (seed, done.stdout, done.stderr[-3000:])
    result = json.loads(done.stdout)

    expected = {"minutes", "rate", "requests", "p50_ms", "p99_ms", "faults", "commands", "lost", "duplicated"}
    assert expected | {"violations"} <= result.keys()
    assert result["lost"] == 0 and result["duplicated"] == 0 and result["violations"] == [], (seed, result)
    faults = faults_within(MINUTES * 60, FAULT_EVERY)
    assert sum(result["faults"].values()) == faults and set(result["faults"]) == set(FAULTS[:faults])
    assert result["requests"].get("202", 0) > 0 and 0 < result["p50_ms"] <= result["p99_ms"]
    assert set(result["commands"]) <= {"indexed", "failed"} and result["commands"]["indexed"] > 0


def test_a_request_sent_late_for_its_slot_counts_its_wait_in_its_latency():
    latencies = Latencies()
    now = time.monotonic()
    latencies.operation_due(now - 2.0)  # due two seconds ago, sent only now (every thread was busy)
    latencies("202", now)
    latencies("200", now)  # the same operation's next request counts from its own sending
    assert latencies.answers == {"202": 1, "200": 1}
    assert latencies.milliseconds[0] >= 2000 and latencies.milliseconds[1] < 1000
    assert latencies.percentile(0.5) == round(max(latencies.milliseconds), 1)


def test_faults_fall_strictly_within_the_workload_not_in_its_drain():
    assert (faults_within(18, 10), faults_within(90, 13), faults_within(1800, 60), faults_within(5, 10)) == (
        1,
        6,
        29,
        0,
    )
