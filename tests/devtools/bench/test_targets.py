"""DESIGN.md §9's targets as data (devtools/bench/targets.py): how a figure is judged against its target,
absolute or as a ratio to its same-run baseline, and that the table says what §9 says."""

from devtools import REPO_ROOT
from devtools.bench.suite import default_suite
from devtools.bench.targets import (
    TARGETS,
    Target,
    check_against_design,
    design_rows,
    design_source,
    judge,
    judge_run,
)


def ran(result: dict) -> dict:
    return {"name": "t", "status": "ok", "result": result}


def test_an_at_least_target_is_met_at_its_threshold_and_missed_below_it_by_the_gap():
    target = Target("backfill", "t", "rate", "events/s", ">=", 20_000)
    at, above, below = (judge(target, ran({"rate": rate})) for rate in (20_000, 24_000, 16_000))
    assert (at.status, at.margin) == ("met", 0)
    assert above.verdict_text() == "met by 4,000 events/s (20 %)"
    assert (below.status, below.margin) == ("missed", -4_000)
    assert below.verdict_text() == "missed by 4,000 events/s (20 %)"


def test_an_at_most_target_is_met_under_its_ceiling_and_missed_over_it():
    target = Target("gas, one payment", "t", "gas", "gas", "<=", 60_000)
    under, over = judge(target, ran({"gas": 59_302})), judge(target, ran({"gas": 61_200}))
    assert (under.status, under.verdict_text()) == ("met", "met by 698 gas (1 %)")
    assert (over.status, over.verdict_text()) == ("missed", "missed by 1,200 gas (2 %)")


def test_a_ratio_target_judges_the_value_over_its_same_run_baseline_not_the_value_itself():
    target = Target("accepted", "t", "accept.ours", "/s", ">=", 0.5, on="ratio", baseline="accept.bare")
    slow = judge(target, ran({"accept": {"ours": 125, "bare": 368}}))
    assert (slow.value, slow.baseline, round(slow.ratio, 3)) == (125, 368, 0.34)
    assert (slow.status, slow.verdict_text()) == ("missed", "missed by 0.16× (32 %)")
    # The same 125/s is met when the bare endpoint of the same run was slow too: only the ratio counts.
    quiet = judge(target, ran({"accept": {"ours": 125, "bare": 240}}))
    assert (quiet.status, quiet.verdict_text()) == ("met", "met by 0.021× (4 %)")


def test_a_figure_derived_from_two_is_their_quotient_and_an_at_most_ratio_is_judged_downwards():
    reindex = Target("re-index", "t", "events / rate", "s", "<=", 60, baseline="events / raw", at_events=1_000_000)
    verdict = judge(reindex, ran({"events": 1_000_000, "rate": 20_000, "raw": 40_000}))
    assert (verdict.value, verdict.baseline, verdict.ratio) == (50, 25, 2)
    assert (verdict.status, verdict.verdict_text(), verdict.note) == ("met", "met by 10.0 s (17 %)", "")
    slower = Target("p99 vs bare", "t", "ours", "ms", "<=", 2, on="ratio", baseline="bare")
    assert judge(slower, ran({"ours": 3.0, "bare": 1.0})).verdict_text() == "missed by 1.00× (50 %)"


def test_a_failed_benchmark_a_missing_figure_and_a_benchmark_not_run_are_named_and_never_judged():
    target = Target("postgres vs sqlite", "t", "pg", "events/s", ">=", 0.8, on="ratio", baseline="sqlite")
    failed = judge(target, {"name": "t", "status": "failed", "result": None, "error": "exited 1\nTraceback"})
    assert (failed.status, failed.verdict_text(), failed.value) == ("failed", "failed", None)
    assert failed.note.startswith("exited 1")
    for result in ({"sqlite": 24_000}, {"pg": None, "sqlite": 24_000}, {"pg": 21_000, "sqlite": 0}, {"pg": True}):
        assert judge(target, ran(result)).status == "not reported", result
    assert judge(target, None).status == "not run"
    run = {"benchmarks": [{**ran({"pg": 21_000, "sqlite": 24_000}), "name": "index"}]}
    judged = judge_run(run, (Target("x", "index", "pg", "events/s", ">=", 20_000), target))
    assert [v.status for v in judged] == ["met", "not run"]


def test_a_figure_measured_at_another_size_than_the_designs_is_judged_and_says_so():
    target = Target("audit of 1M", "t", "events / rate", "s", "<=", 90, at_events=1_000_000)
    verdict = judge(target, ran({"events": 20_000, "rate": 4_000}))
    assert verdict.status == "met" and verdict.note == "run at 20,000 events; §9 sets this for 1,000,000"


def test_every_threshold_of_the_table_is_stated_in_the_designs_section_9():
    source = design_source(REPO_ROOT)  # shared/DESIGN.md beside the checkout, else docs/figures.md's copy
    assert check_against_design(design_rows(source)) == [], source
    assert check_against_design(design_rows(REPO_ROOT / "docs" / "figures.md")) == []


def test_a_threshold_the_design_does_not_state_is_named_with_the_rows_text():
    rows = {"public inquiry API, one process": "≥ 1,500 requests/s and ≥ 0.8× a bare endpoint; p99 ≤ 100 ms"}
    stated = Target("public", "t", "v", "req/s", ">=", 1_500, design="public inquiry API")
    old_ratio = Target("vs bare", "t", "v", "req/s", ">=", 0.5, on="ratio", baseline="b", design="public inquiry API")
    p99 = Target("p99", "t", "v", "ms", "<=", 10, design="public inquiry API")  # "≤ 100" is not "≤ 10"
    nowhere = Target("audit", "t", "v", "s", "<=", 90, design="audit")
    problems = check_against_design(rows, (stated, old_ratio, p99, nowhere))
    assert [p.split(":")[0] for p in problems] == ["vs bare", "p99", "audit"]
    assert "'≥ 0.5×'" in problems[0] and "≥ 0.8×" in problems[0]
    assert problems[2] == "audit: no §9 row starts with 'audit'"


def test_every_target_names_a_benchmark_the_suite_runs_and_a_figure_it_can_find():
    suite = {b.name for b in default_suite()}
    assert {t.bench for t in TARGETS} <= suite
    assert all(t.op in (">=", "<=") and t.threshold > 0 and t.design for t in TARGETS)
    assert all(t.baseline for t in TARGETS if t.on == "ratio")  # a ratio needs its same-run baseline
