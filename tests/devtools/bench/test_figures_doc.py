"""The figures table of docs/figures.md, regenerated from latest.json between its marker comments
(devtools/bench/figures_doc.py, `bench report --docs`): the rest of the page is left as it was."""

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from devtools import REPO_ROOT
from devtools.bench.figures_doc import END, START, START_LINE, splice
from devtools.cli import app

FIXTURE = Path(__file__).parents[1] / "fixtures" / "bench" / "latest.json"
DOCS = REPO_ROOT / "docs" / "figures.md"


def test_the_docs_table_is_regenerated_from_latest_json_and_nothing_else_on_the_page_changes(tmp_path):
    shutil.copy(FIXTURE, tmp_path / "latest.json")
    docs = tmp_path / "figures.md"
    shutil.copy(DOCS, docs)
    before = docs.read_text(encoding="utf-8")

    CliRunner().invoke(app, ["bench", "report", "--results", str(tmp_path), "--docs", str(docs)])
    after = docs.read_text(encoding="utf-8")
    head, rest = before.split(START, 1)
    assert after.startswith(head + START_LINE + "\n\nGenerated from `bench/results/latest.json` (`make bench`).")
    assert after.endswith(END + rest.split(END, 1)[1])  # the earlier measurements below stay as typed
    table = after.split(START_LINE, 1)[1].split(END, 1)[0]
    assert "| confirmations accepted by one API process (`api`) | 125 /s | 368 /s (bare FastAPI insert) |" in table
    assert "| audit verify of 1M events (`audit`) | — | — | — | ≤ 90 s | **failed** |" in table
    assert "| gas | `python -m devtools bench gas` | 7 s | ok |" in table
    assert "* Commit: `0123456789ab` (main)." in table
    assert "![" not in table  # the charts stay with the report in bench/results/, outside the docs

    # Regenerating from the same run gives the same page; from another, only the table moves.
    CliRunner().invoke(app, ["bench", "report", "--results", str(tmp_path), "--docs", str(docs)])
    assert docs.read_text(encoding="utf-8") == after
    run = json.loads(FIXTURE.read_text())
    run["benchmarks"][0]["result"]["payment_single_gas"] = 61_000
    (tmp_path / "latest.json").write_text(json.dumps(run))
    CliRunner().invoke(app, ["bench", "report", "--results", str(tmp_path), "--docs", str(docs)])
    again = docs.read_text(encoding="utf-8")
    assert "| 61,000 gas | — | — | ≤ 60,000 gas | **missed by 1,000 gas (2 %)** |" in again
    assert again.split(START, 1)[0] == head and again.split(END, 1)[1] == rest.split(END, 1)[1]


def test_the_committed_page_has_one_pair_of_markers_above_the_earlier_measurements():
    text = DOCS.read_text(encoding="utf-8")
    assert text.count(START) == 1 and text.count(END) == 1
    assert text.index(START) < text.index(END) < text.index("## Earlier measurements")


def test_a_page_without_the_markers_or_with_two_is_refused_naming_the_markers():
    with pytest.raises(ValueError, match=r"docs/x.md: needs exactly one <!-- bench:figures:start .* found 0"):
        splice("# Figures\n\nhand-typed\n", "table", name="docs/x.md")
    twice = f"{START} -->\na\n{END}\n{START} -->\nb\n{END}\n"
    with pytest.raises(ValueError, match="found 2"):
        splice(twice, "table")
    assert (
        splice(f"top\n{START} old words -->\nold\n{END}\nbottom\n", "new")
        == f"top\n{START_LINE}\n\nnew\n\n{END}\nbottom\n"
    )
