"""The mutation tool itself (devtools/mutate) on a small fixture contract: the mutants it generates
from the pinned solc's AST, how it classifies each outcome, and a run resumed across sittings
(compiled with the pinned solc; the test command is a stand-in here, its exit code and its time
limit are what is classified)."""

import dataclasses
import json
import sys
from pathlib import Path

import pytest

from devtools.mutate import Report, classify, compile_contract, mutants_of, run, run_mutant

FIXTURE = Path(__file__).parent / "fixtures" / "mutate"


@pytest.fixture(scope="module")
def mutants():
    return {m.id: m for m in mutants_of("Tally", sources_dir=FIXTURE)}


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    out = tmp_path_factory.mktemp("original") / "Tally.json"
    assert compile_contract(FIXTURE, "Tally", out) is None
    return json.loads(out.read_text())


def test_the_fixture_yields_each_kind_of_one_line_breakage_located_on_the_compiler_s_ast(mutants):
    assert [(m.operator, m.line, m.original, m.replacement) for m in mutants.values()] == [
        ("check", 16, "if (msg.sender != counter) revert TallyNotCounter(msg.sender);", "{}"),
        ("flip", 16, "!=", "=="),
        ("write", 21, "counter = msg.sender;", "{}"),
        ("role", 24, "onlyCounter", ""),
        ("check", 25, "if (total + by > LIMIT) revert TallyFull(total);", "{}"),
        ("flip", 25, ">", "<="),
        ("bound", 25, ">", ">="),
        ("write", 27, "total = before + by;", "{}"),
        ("event", 28, "before, total", "total, before"),
    ]
    source = (FIXTURE / "Tally.sol").read_bytes()
    assert b"emit Counted(total, before);" in mutants["Tally-0009"].apply(source)


def stand_in(exit_code: int | None):
    """A test command that checks it was handed the mutant's artifact, then exits so (None: hangs)."""

    def command(contract, artifact):
        check = f"import json,sys; json.load(open({str(artifact)!r}))['deployedBytecode']; "
        check += "import time; time.sleep(60)" if exit_code is None else f"sys.exit({exit_code})"
        return [sys.executable, "-c", check], {}

    return command


@pytest.mark.parametrize(("exit_code", "outcome"), [(1, "killed"), (None, "timeout")])
def test_a_compiled_mutant_is_classified_by_its_tests_exit_code_or_time_limit(mutants, original, exit_code, outcome):
    result = run_mutant(
        mutants["Tally-0006"], original, timeout=5, sources_dir=FIXTURE, test_command=stand_in(exit_code)
    )
    assert result.outcome == outcome


def test_a_mutant_that_does_not_compile_or_compiles_to_the_same_bytecode_is_never_tested(mutants, original):
    never = stand_in(1)
    garbled = dataclasses.replace(mutants["Tally-0006"], replacement="=>")
    broken = run_mutant(garbled, original, timeout=5, sources_dir=FIXTURE, test_command=never)
    assert broken.outcome == "compile_error" and "ParserError" in broken.detail
    same = dataclasses.replace(mutants["Tally-0006"], replacement=">")
    assert run_mutant(same, original, timeout=5, sources_dir=FIXTURE, test_command=never).outcome == "equivalent"


def test_pytest_s_exit_codes_map_to_outcomes():  # 0 passed, 1 failed, 2 interrupted, 5 no tests
    assert [classify(code) for code in (0, 1, 2, 5, None)] == ["survived", "killed", "error", "error", "timeout"]


def scripted(exit_codes: list[int], calls: list[str]):
    """A test command that exits with the next of `exit_codes`, noting each call."""

    def command(contract, artifact):
        calls.append(contract)
        return [sys.executable, "-c", f"import sys; sys.exit({exit_codes[len(calls) - 1]})"], {}

    return command


def outcomes(report) -> dict[str, str]:
    return {r.mutant.id: r.outcome for r in report.results}


def test_a_resumed_run_judges_only_what_earlier_sittings_left_and_sums_up_every_mutant(tmp_path):
    out, comparisons = tmp_path / "report.json", ("flip", "bound")  # Tally-0001..0003: lines 16, 25, 25
    first: list[str] = []
    run(["Tally"], comparisons, limit=2, report_path=out, sources_dir=FIXTURE, test_command=scripted([1, 2], first))
    assert outcomes(Report.from_json(json.loads(out.read_text()))) == {"Tally-0001": "killed", "Tally-0002": "error"}

    # The next sitting runs the error again (a failure of the run, not a verdict) and the mutant never run.
    second: list[str] = []
    resumed = run(
        ["Tally"], comparisons, report_path=out, sources_dir=FIXTURE, test_command=scripted([0, 0], second), resume=True
    )
    assert len(second) == 2
    assert outcomes(resumed) == {"Tally-0001": "killed", "Tally-0002": "survived", "Tally-0003": "survived"}
    assert resumed.summary().startswith("mutants: 3  killed: 1  survived: 2")
    assert json.loads(out.read_text())["counts"] == resumed.counts()

    # Nothing left: nothing runs, and the summary still covers all three.
    third: list[str] = []
    done = run(
        ["Tally"], comparisons, report_path=out, sources_dir=FIXTURE, test_command=scripted([], third), resume=True
    )
    assert third == [] and outcomes(done) == outcomes(resumed) and done.score() == 0.3333


def test_a_resumed_run_judges_again_the_mutants_of_a_contract_whose_source_changed(tmp_path):
    sources, out = tmp_path / "contracts", tmp_path / "report.json"
    sources.mkdir()
    (sources / "Tally.sol").write_bytes((FIXTURE / "Tally.sol").read_bytes())
    once: list[str] = []
    run(["Tally"], ("flip",), limit=1, report_path=out, sources_dir=sources, test_command=scripted([1], once))
    assert len(once) == 1

    (sources / "Tally.sol").write_text((sources / "Tally.sol").read_text() + "// changed since\n")
    again: list[str] = []
    resumed = run(
        ["Tally"],
        ("flip",),
        limit=1,
        report_path=out,
        sources_dir=sources,
        test_command=scripted([0], again),
        resume=True,
    )
    assert len(again) == 1 and outcomes(resumed) == {"Tally-0001": "survived"}
