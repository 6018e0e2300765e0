"""`python -m devtools bench report` (devtools/bench/report.py, charts.py): report.md, a chart per family
and the docs' table, from a small fixture latest.json (no benchmark runs here). The fixture's audit
failed: the report shows it as failed and the command exits 1."""

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from devtools.cli import app

FIXTURE = Path(__file__).parents[1] / "fixtures" / "bench" / "latest.json"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def results(tmp_path) -> Path:
    folder = tmp_path / "results"
    folder.mkdir()
    shutil.copy(FIXTURE, folder / "latest.json")
    return folder


def report(results: Path, *more: str):
    return CliRunner().invoke(app, ["bench", "report", "--results", str(results), *more])


def test_the_report_has_a_row_per_figure_beside_its_baseline_target_and_verdict(results):
    answer = report(results)
    text = (results / "report.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ") and "(`" in line]
    assert len(rows) == 20  # every row of the target table, whatever happened to its benchmark
    assert (
        "| confirmations accepted by one API process (`api`) | 125 /s | 368 /s (bare FastAPI insert) | 0.34× "
        "| ≥ 0.5× | **missed by 0.16× (32 %)** |" in rows
    )
    assert (
        "| indexer backfill into SQLite (`index`) | 24,000 events/s | 50,000 events/s (raw eth_getLogs fetch) "
        "| 0.48× | ≥ 20,000 events/s | met by 4,000 events/s (20 %) |" in rows
    )
    assert "| re-index of 1M events (`index-large`) | 50.0 s | 25.0 s (raw fetch of the same events) | 2.00× " in text
    assert "| backfill vs raw fetch, 1M events (`index-large`) | 20,000 events/s" in text  # exactly 0.5×: met
    assert "| ≥ 0.5× | met by 0× (0 %) |" in text
    assert "| backfill peak RSS, 100k events (`index`) | — | — | — | ≤ 300 MB | **not reported** |" in rows
    assert "| public inquiry p99 at 200 req/s (`public`) | 2.33 ms | 1.49 ms (bare endpoint's p99) | 1.56× " in text

    assert (
        "* Run: 2026-12-04T09:00:00+00:00 to 2026-12-04T09:27:12+00:00, took 27 min 12 s (budget 30 min: met)." in text
    )
    assert "* Commit: `0123456789ab` (main)." in text
    assert "fixture-host, 2 CPUs (Fixture CPU @ 2.00GHz), 7,936 MB" in text
    assert "* Figures: 13 met, 4 missed, 2 not reported, 1 failed. Failed benchmarks: audit." in text
    assert "every threshold agrees." in text
    assert "| index-large | `python -m devtools bench index --events 1000000 --repeats 1` | 10 min 10 s | ok |" in text
    assert json.loads(answer.stdout)["figures"] == {"met": 13, "missed": 4, "not reported": 2, "failed": 1}


def test_a_failed_benchmark_shows_as_failed_with_its_log_and_the_command_exits_non_zero(results):
    answer = report(results)
    assert answer.exit_code == 1
    assert json.loads(answer.stdout)["failed"] == ["audit"]
    text = (results / "report.md").read_text(encoding="utf-8")
    assert "| audit verify of 1M events (`audit`) | — | — | — | ≤ 90 s | **failed** |" in text
    assert (
        "| audit | `python -m devtools bench audit --events 1000000 --repeats 1` | 42 s | **failed** (exited 1) |"
        in text
    )
    failure = text.split("### audit failed", 1)[1].split("## Charts", 1)[0]
    assert "Transaction gas limit is 60100000 and exceeds block gas limit of 60000000" in failure
    assert "No chart for audit: none of its figures was measured in this run." in text


def test_the_same_run_with_every_benchmark_through_exits_zero_and_judges_the_audit(results):
    run = json.loads((results / "latest.json").read_text())
    audit = next(b for b in run["benchmarks"] if b["name"] == "audit")
    audit.update(
        status="ok",
        exit_code=0,
        result={"events": 1_000_000, "audit_events_per_s": 11_000, "reindex_events_per_s": 20_000},
    )
    del audit["error"]
    (results / "latest.json").write_text(json.dumps(run))
    answer = report(results)
    assert answer.exit_code == 0, answer.output
    text = (results / "report.md").read_text(encoding="utf-8")
    assert (
        "| audit verify of 1M events (`audit`) | 90.9 s | 50.0 s (indexer re-index of the same chain) | 1.82× " in text
    )
    assert "| ≤ 90 s | **missed by 0.91 s (1 %)** |" in text
    assert (results / "audit.png").read_bytes()[:8] == PNG


def test_a_run_that_did_not_finish_is_said_and_exits_non_zero(results):
    run = json.loads((results / "latest.json").read_text())
    run.update(finished_at=None, seconds=None, benchmarks=run["benchmarks"][:2])
    (results / "latest.json").write_text(json.dumps(run))
    answer = report(results)
    assert answer.exit_code == 1 and json.loads(answer.stdout)["finished"] is False
    text = (results / "report.md").read_text(encoding="utf-8")
    assert "**did not finish** (2 benchmarks recorded)" in text
    assert "| confirmations accepted by one API process (`api`) | — | — | — | ≥ 0.5× | **not run** |" in text


def test_a_chart_per_family_with_a_measured_figure(results):
    report(results)
    charts = sorted(p.name for p in results.glob("*.png"))
    assert charts == ["api.png", "gas.png", "index.png", "public.png", "write-path.png"]
    for chart in charts:
        assert (results / chart).read_bytes()[:8] == PNG
        assert f"![{chart[:-4]}]({chart})" in (results / "report.md").read_text(encoding="utf-8")
    with Image.open(results / "index.png") as index:  # six figures: two rows of three panels
        assert index.size[0] > index.size[1] > 300


def test_no_latest_json_is_a_clear_error(tmp_path):
    answer = report(tmp_path)
    assert answer.exit_code == 2
    assert "latest.json: no run recorded yet (`python -m devtools bench all` writes it)" in answer.output
