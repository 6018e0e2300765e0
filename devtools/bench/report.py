"""`python -m devtools bench report`: `bench/results/report.md` and its charts from latest.json.

One row per §9 figure (devtools/bench/targets.py): the value, its baseline from the same run, the
ratio, the target and met / missed by how much; a benchmark that failed shows as failed, in the
figures' rows and with the end of its log, and makes the command exit non-zero. With `--docs` the
generated table in docs/figures.md is rewritten too (devtools/bench/figures_doc.py).
"""

import json
from pathlib import Path

from devtools.bench.charts import draw_charts
from devtools.bench.targets import Verdict, check_against_design, design_rows, judge_run, number


def publish(run: dict, results: Path, *, design: Path, docs: Path | None = None) -> dict:
    """Write report.md and the charts into `results` (and the docs' table); the summary, with `exit`
    non-zero when a benchmark failed or the run did not finish."""
    from devtools.bench.figures_doc import write_docs_table

    results.mkdir(parents=True, exist_ok=True)
    verdicts = judge_run(run)
    disagreements = check_against_design(design_rows(design))
    charts = draw_charts(verdicts, results)
    report = results / "report.md"
    report.write_text(render_report(run, verdicts, charts, design, disagreements), encoding="utf-8")
    if docs is not None:
        write_docs_table(docs, run, verdicts)
    summary = summarise(run, verdicts)
    summary.update(report=str(report), charts=[str(p) for p in charts.values()], design_disagrees=disagreements)
    return summary


def load_run(results: Path) -> dict:
    path = results / "latest.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no run recorded yet (`python -m devtools bench all` writes it)")
    return json.loads(path.read_text(encoding="utf-8"))


def summarise(run: dict, verdicts: list[Verdict]) -> dict:
    failed = [b["name"] for b in run.get("benchmarks", []) if b.get("status") != "ok"]
    counts: dict[str, int] = {}
    for verdict in verdicts:
        counts[verdict.status] = counts.get(verdict.status, 0) + 1
    unfinished = run.get("finished_at") is None
    return {"figures": counts, "failed": failed, "finished": not unfinished, "exit": 1 if failed or unfinished else 0}


def render_report(
    run: dict, verdicts: list[Verdict], charts: dict[str, Path], design: Path, disagreements: list[str]
) -> str:
    lines = ["# Benchmark report", "", *run_lines(run, verdicts), ""]
    lines.append(
        f"Targets: the table in `devtools/bench/targets.py`, checked against `{design}`: "
        + ("every threshold agrees." if not disagreements else "**it disagrees**:")
    )
    lines += [f"* {problem}" for problem in disagreements]
    lines += ["", "## Figures", "", *figures_table(verdicts), "", "## Benchmarks", "", *benchmarks_table(run)]
    failed = [b for b in run.get("benchmarks", []) if b.get("status") != "ok"]
    for bench in failed:
        lines += ["", f"### {bench['name']} failed", "", f"`{bench['command']}`", "", "```text"]
        lines += [str(bench.get("error", "")).replace("```", "'''"), "```"]
    lines += ["", "## Charts"]
    for family, path in charts.items():
        lines += ["", f"### {family}", "", f"![{family}]({path.name})"]
    if uncharted := sorted({b.get("family", b["name"]) for b in run.get("benchmarks", [])} - charts.keys()):
        lines += ["", f"No chart for {', '.join(uncharted)}: none of its figures was measured in this run."]
    return "\n".join(lines) + "\n"


def run_lines(run: dict, verdicts: list[Verdict]) -> list[str]:
    """The run in a few lines: when, how long against the budget, which commit, which machine."""
    git, host = run.get("git") or {}, run.get("machine") or {}
    commit = (git.get("commit") or "unknown")[:12]
    if git.get("dirty"):
        commit += " with uncommitted changes"
    seconds, budget = run.get("seconds"), run.get("budget_seconds")
    if seconds is None:
        took = f"**did not finish** ({len(run.get('benchmarks', []))} benchmarks recorded)"
    else:
        took = f"took {_duration(seconds)}"
        if budget:
            took += f" (budget {_duration(budget)}: {'met' if seconds <= budget else '**missed**'})"
    loads = [(host.get(f"load_average_at_{when}") or [None])[0] for when in ("start", "end")]
    load = " / ".join("?" if x is None else str(x) for x in loads)
    memory = f"{host['memory_mb']:,} MB" if host.get("memory_mb") else "memory unknown"
    return [
        f"* Run: {run.get('started_at')} to {run.get('finished_at') or '—'}, {took}.",
        f"* Commit: `{commit}` ({git.get('branch') or '?'}).",
        f"* Machine: {host.get('hostname')}, {host.get('cpus')} CPUs ({host.get('cpu_model') or 'model unknown'}),"
        f" {memory}, Python {host.get('python')}; load average at start / end {load}.",
        f"* {_summary_line(summarise(run, verdicts))}",
    ]


def _summary_line(summary: dict) -> str:
    parts = [f"{n} {status}" for status, n in summary["figures"].items()]
    failed = summary["failed"]
    return f"Figures: {', '.join(parts) or 'none'}." + (f" Failed benchmarks: {', '.join(failed)}." if failed else "")


def figures_table(verdicts: list[Verdict]) -> list[str]:
    rows = [
        "| figure | value | same-run baseline | ratio | target | verdict |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for v in verdicts:
        t = v.target
        value = f"{number(v.value)} {t.unit}" if v.value is not None else "—"
        baseline = f"{number(v.baseline)} {t.unit} ({t.baseline_label})" if v.baseline is not None else "—"
        ratio = f"{v.ratio:.2f}×" if v.ratio is not None else "—"
        verdict = v.verdict_text() if v.status == "met" else f"**{v.verdict_text()}**"
        if v.note and v.status != "failed":
            verdict += f" ({v.note})"
        cells = [f"{t.figure} (`{t.bench}`)", value, baseline, ratio, t.target_text(), verdict]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return rows


def benchmarks_table(run: dict) -> list[str]:
    rows = ["| benchmark | command | took | status |", "| --- | --- | --- | --- |"]
    for bench in run.get("benchmarks", []):
        why = (str(bench.get("error") or "").splitlines() or ["no reason recorded"])[0]
        status = "ok" if bench.get("status") == "ok" else f"**failed** ({why})"
        cells = [bench["name"], f"`{bench['command']}`", _duration(bench.get("seconds") or 0), status]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return " ".join(([f"{minutes} min"] if minutes else []) + ([f"{rest} s"] if rest or not minutes else []))
