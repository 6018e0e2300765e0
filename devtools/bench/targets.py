"""DESIGN.md §9's targets as one table of data, and the judgement of a run's figures against it.

Each row names the benchmark of the suite (devtools/bench/suite.py) whose JSON holds the figure, where
in that JSON the figure and its same-run baseline are, and the comparison: on the figure itself
(`≥ 20,000 events/s`) or on its ratio to the baseline (`≥ 0.6×`). The report, its charts and the docs'
table all read this table; nothing else holds a threshold. `check_against_design` reads §9 (or the copy
in docs/figures.md) and names every row whose threshold the design does not state, so the two cannot
drift apart unseen.
"""

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Op = Literal[">=", "<="]
SYMBOL = {">=": "≥", "<=": "≤"}


@dataclass(frozen=True)
class Target:
    figure: str  # the row's label in the report and the docs
    bench: str  # the suite's benchmark (its name) whose JSON holds the figure
    value: str  # a dotted path into that JSON, or "a / b" (a figure derived from two)
    unit: str  # how the value is read: events/s, gas, s, ms, MB, /s, req/s
    op: Op
    threshold: float
    on: Literal["value", "ratio"] = "value"  # judge the value itself, or value ÷ baseline
    baseline: str | None = None  # the same run's baseline, a path like `value`
    baseline_label: str = ""  # what the baseline is, for the reader
    design: str = ""  # the start of the §9 row ("what") this threshold comes from
    at_events: int | None = None  # the size §9 sets for this figure (judged anyway at another; then said)

    def target_text(self) -> str:
        suffix = "×" if self.on == "ratio" else f" {self.unit}"
        return f"{SYMBOL[self.op]} {self.threshold:,g}{suffix}"


# Every §9 figure `make bench` measures. The benchmarks' names are the suite's (devtools/bench/suite.py).
# Peak RSS: no benchmark reports it yet (`peak_rss_mb`), so those rows say "not reported" until one does.
TARGETS: tuple[Target, ...] = (
    Target("gas, one payment", "gas", "payment_single_gas", "gas", "<=", 60_000, design="gas per payment record"),
    Target(
        "gas per payment, batch of 100",
        "gas",
        "payment_batch100_per_record_gas",
        "gas",
        "<=",
        35_000,
        baseline="payment_single_gas",
        baseline_label="one payment alone",
        design="gas per payment record",
    ),
    Target(
        "indexer backfill into SQLite",
        "index",
        "sqlite_events_per_s",
        "events/s",
        ">=",
        20_000,
        baseline="raw_fetch_events_per_s",
        baseline_label="raw eth_getLogs fetch",
        design="indexer backfill into SQLite",
    ),
    Target(
        "backfill vs web3.py get_logs + ORM",
        "index",
        "sqlite_events_per_s",
        "events/s",
        ">=",
        5,
        on="ratio",
        baseline="naive_events_per_s",
        baseline_label="web3.py + ORM per row",
        design="indexer backfill into SQLite",
    ),
    Target(
        "backfill vs raw fetch, 100k events",
        "index",
        "sqlite_events_per_s",
        "events/s",
        ">=",
        0.6,
        on="ratio",
        baseline="raw_fetch_events_per_s",
        baseline_label="raw eth_getLogs fetch",
        design="indexer backfill into SQLite",
        at_events=100_000,
    ),
    Target(
        "backfill peak RSS, 100k events",
        "index",
        "peak_rss_mb",
        "MB",
        "<=",
        300,
        design="indexer backfill into SQLite",
        at_events=100_000,
    ),
    Target(
        "backfill into PostgreSQL vs SQLite",
        "index",
        "postgres_events_per_s",
        "events/s",
        ">=",
        0.8,
        on="ratio",
        baseline="sqlite_events_per_s",
        baseline_label="SQLite, same run",
        design="indexer backfill into PostgreSQL",
    ),
    Target(
        "backfill vs raw fetch, 1M events",
        "index-large",
        "sqlite_events_per_s",
        "events/s",
        ">=",
        0.5,
        on="ratio",
        baseline="raw_fetch_events_per_s",
        baseline_label="raw eth_getLogs fetch",
        design="indexer backfill into SQLite",
        at_events=1_000_000,
    ),
    Target(
        "re-index of 1M events",
        "index-large",
        "events / sqlite_events_per_s",
        "s",
        "<=",
        60,
        baseline="events / raw_fetch_events_per_s",
        baseline_label="raw fetch of the same events",
        design="re-index of 1,000,000 events",
        at_events=1_000_000,
    ),
    Target(
        "re-index peak RSS, 1M events",
        "index-large",
        "peak_rss_mb",
        "MB",
        "<=",
        300,
        design="re-index of 1,000,000 events",
        at_events=1_000_000,
    ),
    Target(
        "audit verify of 1M events",
        "audit",
        "events / audit_events_per_s",
        "s",
        "<=",
        90,
        baseline="events / reindex_events_per_s",
        baseline_label="indexer re-index of the same chain",
        design="audit",
        at_events=1_000_000,
    ),
    Target(
        "confirmations accepted by one API process",
        "api",
        "accept.api_accepted_per_s",
        "/s",
        ">=",
        0.5,
        on="ratio",
        baseline="accept.bare_fastapi_per_s",
        baseline_label="bare FastAPI insert",
        design="confirmations accepted by one API process",
    ),
    Target(
        "confirmations end to end (API → chain → indexed)",
        "api",
        "end_to_end.indexed_per_s",
        "/s",
        ">=",
        1_000,
        design="payments confirmed end to end",
    ),
    Target(
        "end to end p50 latency (API)",
        "api",
        "end_to_end.latency_p50_s",
        "s",
        "<=",
        2,
        design="payments confirmed end to end",
    ),
    Target(
        "write path end to end (service → chain → indexed)",
        "write-path",
        "end_to_end_per_s",
        "/s",
        ">=",
        1_000,
        baseline="baseline_chain_only_per_s",
        baseline_label="the same payments straight to the chain",
        design="payments confirmed end to end",
    ),
    Target(
        "write path vs the chain alone",
        "write-path",
        "end_to_end_per_s",
        "/s",
        ">=",
        0.9,
        on="ratio",
        baseline="baseline_chain_only_per_s",
        baseline_label="the same payments straight to the chain",
        design="payments confirmed end to end",
    ),
    Target(
        "write path p50 latency",
        "write-path",
        "latency_p50_s",
        "s",
        "<=",
        2,
        design="payments confirmed end to end",
    ),
    Target(
        "public inquiry, one process",
        "public",
        "public_per_s",
        "req/s",
        ">=",
        1_500,
        baseline="bare_fastapi_per_s",
        baseline_label="bare FastAPI JSON endpoint",
        design="public inquiry API",
    ),
    Target(
        "public inquiry vs bare endpoint",
        "public",
        "public_per_s",
        "req/s",
        ">=",
        0.8,
        on="ratio",
        baseline="bare_fastapi_per_s",
        baseline_label="bare FastAPI JSON endpoint",
        design="public inquiry API",
    ),
    Target(
        "public inquiry p99 at 200 req/s",
        "public",
        "latency_ours.p99_ms",
        "ms",
        "<=",
        10,
        baseline="latency_bare.p99_ms",
        baseline_label="bare endpoint's p99",
        design="public inquiry API",
    ),
)

Status = Literal["met", "missed", "failed", "not run", "not reported"]


@dataclass(frozen=True)
class Verdict:
    target: Target
    status: Status
    value: float | None = None
    baseline: float | None = None
    ratio: float | None = None  # value ÷ baseline, when both are known
    margin: float | None = None  # how far past the threshold, in the judged quantity; negative when missed
    note: str = ""  # e.g. measured at another size than §9's

    @property
    def judged(self) -> float | None:
        return self.ratio if self.target.on == "ratio" else self.value

    def verdict_text(self) -> str:
        """ "met by 12 %", "missed by 0.16× (32 %)", or the status itself when nothing was judged."""
        if self.status not in ("met", "missed") or self.margin is None:
            return self.status
        target = self.target
        unit = "×" if target.on == "ratio" else f" {target.unit}"
        share = abs(self.margin) / target.threshold * 100
        how = "met by" if self.status == "met" else "missed by"
        return f"{how} {number(abs(self.margin))}{unit} ({share:.0f} %)"


def lookup(result: dict, path: str) -> float | None:
    """A figure from a benchmark's JSON: `a.b.c`, or `a / b` for one derived from two; None if absent."""
    if "/" in path:
        top, bottom = (lookup(result, part.strip()) for part in path.split("/", 1))
        return None if top is None or not bottom else top / bottom
    node: object = result
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    if isinstance(node, bool) or not isinstance(node, int | float) or not math.isfinite(node):
        return None
    return float(node)


def judge(target: Target, bench: dict | None) -> Verdict:
    """One target against the run's record of its benchmark (latest.json's entry), or None if not run."""
    if bench is None:
        return Verdict(target, "not run")
    if bench.get("status") != "ok":
        return Verdict(target, "failed", note=str(bench.get("error") or "")[:200])
    result = bench.get("result") or {}
    value = lookup(result, target.value)
    baseline = lookup(result, target.baseline) if target.baseline else None
    ratio = value / baseline if value is not None and baseline else None
    note = ""
    events = lookup(result, "events")
    if target.at_events and events is not None and events != target.at_events:
        note = f"run at {events:,.0f} events; §9 sets this for {target.at_events:,}"
    judged = ratio if target.on == "ratio" else value
    if judged is None:
        return Verdict(target, "not reported", value, baseline, ratio, note=note)
    margin = judged - target.threshold if target.op == ">=" else target.threshold - judged
    return Verdict(target, "met" if margin >= 0 else "missed", value, baseline, ratio, margin, note)


def judge_run(run: dict, targets: tuple[Target, ...] = TARGETS) -> list[Verdict]:
    by_name = {b["name"]: b for b in run.get("benchmarks", [])}
    return [judge(target, by_name.get(target.bench)) for target in targets]


def number(value: float) -> str:
    """120,000 / 1,095 / 33.5 / 0.34 / 0.036: thousands grouped, two or three significant digits below 100."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if abs(value) >= 0.1 else f"{value:.2g}"


# ----- §9 itself --------------------------------------------------------------------------------------


def design_source(repo_root: Path) -> Path:
    """DESIGN.md in shared/ beside the checkout when it is there (§9 is the design's word), else the copy
    of §9's table in docs/figures.md ("Targets")."""
    shared = repo_root.parent / "shared" / "DESIGN.md"
    return shared if shared.is_file() else repo_root / "docs" / "figures.md"


def design_rows(path: Path) -> dict[str, str]:
    """The `| what | target |` rows of §9 (DESIGN.md) or of the Targets section (docs/figures.md)."""
    heading = r"^## 9\." if path.name == "DESIGN.md" else r"^## Targets\b"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(heading, line)), None)
    if start is None:
        raise ValueError(f"{path}: no section matching {heading!r}")
    rows: dict[str, str] = {}
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 2 and cells[0] not in ("what", "---"):
            rows[cells[0]] = cells[1]
    return rows


def check_against_design(rows: dict[str, str], targets: tuple[Target, ...] = TARGETS) -> list[str]:
    """One line per target whose §9 row is missing or does not state its threshold (empty: all agree)."""
    problems = []
    for target in targets:
        row = next((text for what, text in rows.items() if what.startswith(target.design)), None)
        if row is None:
            problems.append(f"{target.figure}: no §9 row starts with {target.design!r}")
            continue
        stated = f"{SYMBOL[target.op]} {target.threshold:,g}" + ("×" if target.on == "ratio" else "")
        if not re.search(re.escape(stated) + r"(?![\d.,]*\d)", row):
            problems.append(f"{target.figure}: §9 does not say {stated!r} ({target.design}: {row})")
    return problems
