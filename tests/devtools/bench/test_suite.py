"""`python -m devtools bench all` (devtools/bench/suite.py): the benchmarks of `make bench` in turn, each
recorded in latest.json with its command, duration and JSON, or as failed with the end of its log. The
heavy benchmarks never run here: stand-ins do, and the real `gas` (a few seconds) once, end to end."""

import json
import os
import shlex
import subprocess
import sys
from datetime import datetime

import pytest

from devtools import REPO_ROOT
from devtools.bench.suite import Benchmark, Sizes, default_suite, parse_json_object, run_suite


def stand_in(name: str, code: str) -> Benchmark:
    return Benchmark(name, (sys.executable, "-c", code))


def test_the_default_suite_runs_issue_19s_sizes_in_order_and_only_keeps_the_named():
    suite = default_suite()
    assert [b.name for b in suite] == ["gas", "index", "index-large", "audit", "api", "public", "write-path"]
    commands = {b.name: b.command for b in suite}
    assert commands["gas"] == "python -m devtools bench gas"
    assert commands["index"] == "python -m devtools bench index --events 100000 --postgres postgresql://127.0.0.1/test"
    assert commands["index-large"] == "python -m devtools bench index --events 1000000 --repeats 1"
    assert commands["audit"] == "python -m devtools bench audit --events 1000000 --repeats 1"
    assert commands["write-path"] == "python -m devtools bench write-path --rate 1200 --confirmations 15000"
    assert {b.family for b in suite if b.name.startswith("index")} == {"index"}

    small = default_suite(Sizes(index_events=2_000, index_large_events=0, audit_events=5_000), only=["index", "audit"])
    assert [b.command for b in small] == [
        "python -m devtools bench index --events 2000 --postgres postgresql://127.0.0.1/test",
        "python -m devtools bench audit --events 5000 --repeats 1",
    ]
    with pytest.raises(ValueError, match=r"unknown benchmark \['indexer'\]; known: gas, index, index-large"):
        default_suite(only=["indexer"])


def test_a_run_records_every_benchmark_and_each_failure_with_why_and_the_end_of_its_log(tmp_path):
    suite = [
        stand_in("fine", "import sys; print('warming up', file=sys.stderr); print('{\"rate\": 5}')"),
        stand_in("crashes", "import sys; print('Traceback: boom', file=sys.stderr); sys.exit(3)"),
        stand_in("silent", "print('done, but no JSON')"),
        stand_in("hangs", "import time; time.sleep(600)"),
        stand_in("after", "print('{\"rate\": 7}')"),  # a failure before it stops nothing
    ]
    said: list[str] = []
    run = run_suite(suite, tmp_path, timeout=3, echo=said.append)

    assert json.loads((tmp_path / "latest.json").read_text()) == run
    records = {b["name"]: b for b in run["benchmarks"]}
    assert list(records) == ["fine", "crashes", "silent", "hangs", "after"]
    assert {n: b["status"] for n, b in records.items()} == {
        "fine": "ok",
        "crashes": "failed",
        "silent": "failed",
        "hangs": "failed",
        "after": "ok",
    }
    assert (records["fine"]["result"], records["after"]["result"]) == ({"rate": 5}, {"rate": 7})
    assert "error" not in records["fine"] and (tmp_path / "logs" / "fine.log").read_text() == "warming up\n"
    assert records["crashes"]["exit_code"] == 3 and records["crashes"]["error"] == "exited 3\nTraceback: boom"
    assert records["silent"]["exit_code"] == 0 and records["silent"]["error"] == "printed no JSON object on stdout"
    assert records["hangs"]["error"] == "timed out after 3 s" and records["hangs"]["exit_code"] != 0
    assert records["fine"]["command"] == shlex.join(["python", "-c", suite[0].argv[2]])
    assert records["fine"]["argv"] == list(suite[0].argv)
    assert all(b["seconds"] >= 0 and b["started_at"] for b in run["benchmarks"])
    assert len(said) == 10 and said[7] == "[4/5] hangs: failed in 3 s"

    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()
    assert run["git"]["commit"] == head and isinstance(run["git"]["dirty"], bool)
    assert run["machine"]["cpus"] == os.cpu_count() and run["machine"]["python"]
    assert len(run["machine"]["load_average_at_start"]) == 3 and len(run["machine"]["load_average_at_end"]) == 3
    assert datetime.fromisoformat(run["started_at"]) <= datetime.fromisoformat(run["finished_at"])
    assert run["seconds"] >= sum(b["seconds"] for b in run["benchmarks"]) - 1 and run["budget_seconds"] == 1800


def test_the_json_object_is_read_from_all_of_stdout_or_else_its_last_line_that_is_one():
    assert parse_json_object('{\n  "a": 1\n}\n') == {"a": 1}
    assert parse_json_object('node up on 127.0.0.1:8545\n{"a": 2}\n') == {"a": 2}
    assert parse_json_object("[1, 2]\n") is None and parse_json_object("") is None


def test_bench_all_runs_the_real_gas_benchmark_into_latest_json_the_report_and_the_docs_table(tmp_path):
    docs = tmp_path / "figures.md"
    docs.write_text((REPO_ROOT / "docs" / "figures.md").read_text(encoding="utf-8"), encoding="utf-8")
    results = tmp_path / "results"
    command = [sys.executable, "-m", "devtools", "bench", "all", "--only", "gas"]
    done = subprocess.run(
        [*command, "--results", str(results), "--docs", str(docs)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["failed"] == [] and summary["figures"]["met"] == 2 and summary["exit"] == 0

    run = json.loads((results / "latest.json").read_text())
    (gas,) = run["benchmarks"]
    assert (gas["name"], gas["status"], gas["command"]) == ("gas", "ok", "python -m devtools bench gas")
    assert gas["result"]["payment_single_gas"] <= 60_000
    report = (results / "report.md").read_text()
    assert "| gas, one payment (`gas`) | " in report and "| ≤ 60,000 gas | met by " in report
    assert "| re-index of 1M events (`index-large`) | — | — | — | ≤ 60 s | **not run** |" in report
    assert (results / "gas.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"{gas['result']['payment_single_gas']:,} gas" in docs.read_text()
