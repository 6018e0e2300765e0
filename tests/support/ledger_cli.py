"""`python -m ledger …` in its own process, as an operator runs it."""

import subprocess
import sys


def ledger(*args: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ledger", *args], env=env, capture_output=True, text=True, timeout=timeout
    )
