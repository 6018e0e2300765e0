"""`python -m devtools bench gas`: the contracts' gas figures."""

import json
import subprocess
import sys


def test_devtools_bench_gas_prints_one_json_object_within_the_ceilings():
    result = subprocess.run(
        [sys.executable, "-m", "devtools", "bench", "gas"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["payment_single_gas"] <= 60_000
    assert figures["payment_batch100_per_record_gas"] <= 35_000
    assert {"assess_gas", "commitment_record_gas", "commitment_fulfil_gas"} <= figures.keys()
