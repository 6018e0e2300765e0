"""The crash harness (devtools/crash.py), bounded: a few iterations of the mixed workload (payments single
and batched, refunds, commitments single and batched, office decisions, acceptances, public reads)
against the whole running system while SIGKILL hits an API process, the Celery worker, the standalone
indexer or the node (anvil, its chain kept), each started again. The seed is printed and may be given
with LEDGER_CRASH_SEED to replay a failure; `make crash` (`python -m devtools crash`) runs the long one."""

import os
import random

from devtools.crash import TARGETS, run_crash
from tests.e2e.conftest import DATABASE_SERVER
from tests.support.depth import DEEP

ITERATIONS = 30 if DEEP else 4


def test_sigkills_under_a_mixed_workload_lose_nothing_acknowledged_half_create_nothing_and_leave_no_limbo(
    tmp_path,
):
    seed = int(os.environ.get("LEDGER_CRASH_SEED") or random.SystemRandom().randrange(1, 10**6))
    print(f"crash harness seed {seed} (replay: LEDGER_CRASH_SEED={seed})")
    result = run_crash(ITERATIONS, seed, tmp_path, postgres_server=DATABASE_SERVER)

    assert result["violations"] == [], (seed, result)
    assert sum(result["kills"].values()) == ITERATIONS and set(result["kills"]) <= set(TARGETS)
    assert set(result["commands"]) <= {"indexed", "failed"}, (seed, result["commands"])
    acknowledged = sum(n for outcome, n in result["writes"].items() if outcome.endswith(": acked"))
    assert acknowledged > 0, (seed, result["writes"])
    assert result["checkpoint"] == result["head"]
