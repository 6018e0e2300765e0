"""Mutation run over the contracts (issue 18 item 8): `python -m devtools mutate` / `make mutate`.

Each mutant is a one-line breakage of one implementation contract, located on the pinned
compiler's own AST (solc, `hardhat-local/mutants.js ast`: no hand-written Solidity parsing):

* `flip` — a comparison negated (`<` ↔ `>=`, `>` ↔ `<=`, `==` ↔ `!=`);
* `bound` — an off-by-one bound (`<` ↔ `<=`, `>` ↔ `>=`);
* `check` — a check removed: `require(...)`, an `if (...) revert ...;` (the whole statement), a
  bare `revert`/`_revert...()` call statement;
* `write` — a state write removed: an assignment, `++`/`--` or `delete` whose target lives in
  storage (a state variable, or a member/index of one or of a `storage` pointer), a `.push(...)`;
* `event` — two adjacent event arguments of the same type swapped;
* `role` — a modifier dropped (`onlyRole`, `whenNotPaused`, …) or a `_checkRole(...)` statement removed.

Each mutant is compiled alone with the pinned solc and compile.js's settings (`mutants.js
compile`: only the mutated contract and what it imports); one whose bytecode equals the
original's is `equivalent` (trivial compiler equivalence) and is not tested; the others run the
contract tests that exercise that contract (pytest `-x`, one node kind, the mutated artifact
swapped in by `devtools.mutate.plugin`) and are `killed`, `survived`, `timeout` or `error`;
one that does not compile is `compile_error`. Output: one JSON report (every mutant with its
outcome) and a summary; the score is killed / (killed + survived + timeout).

A full run takes hours, so it can be completed across sittings: `resume` reads the report a
sitting left and runs only the mutants it has not judged yet (an `error`, a failure of the run
rather than a verdict, is run again); a verdict is reused only for the very same mutant of the
very same contract source (the report records each contract's SHA-256).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from devtools import REPO_ROOT

HARDHAT_DIR = REPO_ROOT / "hardhat-local"
CONTRACTS_DIR = REPO_ROOT / "contracts"
OPERATORS = ("flip", "bound", "check", "write", "event", "role")
FLIP = {"<": ">=", ">=": "<", ">": "<=", "<=": ">", "==": "!=", "!=": "=="}
BOUND = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
# The contract tests that exercise each implementation contract (run with -x, one node kind).
TESTS: dict[str, tuple[str, ...]] = {
    "CommitmentRegistry": (
        "tests/contracts/test_commitment_registry.py",
        "tests/contracts/test_access_control.py",
        "tests/contracts/test_migration.py",
        "tests/contracts/test_stateful_model.py",
    ),
    "FeeLedger": (
        "tests/contracts/test_fee_ledger.py",
        "tests/contracts/test_access_control.py",
        "tests/contracts/test_migration.py",
        "tests/contracts/test_stateful_model.py",
    ),
    "InspectionDraws": ("tests/contracts/test_inspection_draws.py", "tests/contracts/test_access_control.py"),
}
OUTCOMES = ("killed", "survived", "timeout", "error", "compile_error", "equivalent")
# Outcomes that are a verdict on the mutant; `error` is the run's own failure and is run again on resume.
JUDGED = frozenset(OUTCOMES) - {"error"}


@dataclass(frozen=True)
class Mutant:
    id: str
    contract: str
    operator: str
    line: int
    start: int  # byte offsets in the contract's source
    end: int
    original: str
    replacement: str
    function: str = ""

    def apply(self, source: bytes) -> bytes:
        return source[: self.start] + self.replacement.encode() + source[self.end :]


@dataclass
class Result:
    mutant: Mutant
    outcome: str
    seconds: float
    detail: str = ""


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # contract → SHA-256 of the source its mutants come from

    @classmethod
    def from_json(cls, data: dict) -> Report:
        """A report as `as_json` wrote it (the mutants, their outcomes and the sources' digests)."""
        results = []
        for entry in data.get("mutants", []):
            fields = dict(entry)
            outcome, seconds, detail = fields.pop("outcome"), fields.pop("seconds"), fields.pop("detail", "")
            results.append(Result(Mutant(**fields), outcome, seconds, detail))
        return cls(results=results, sources=dict(data.get("sources", {})))

    def counts(self) -> dict[str, int]:
        counted = Counter(r.outcome for r in self.results)
        return {o: counted.get(o, 0) for o in OUTCOMES}

    def score(self) -> float | None:
        c = self.counts()
        judged = c["killed"] + c["survived"] + c["timeout"]
        return round(c["killed"] / judged, 4) if judged else None

    def as_json(self) -> dict:
        return {
            "counts": self.counts(),
            "score": self.score(),
            "sources": self.sources,
            "mutants": [
                asdict(r.mutant) | {"outcome": r.outcome, "seconds": r.seconds, "detail": r.detail}
                for r in self.results
            ],
        }

    def summary(self) -> str:
        c = self.counts()
        lines = [f"mutants: {len(self.results)}  " + "  ".join(f"{k}: {v}" for k, v in c.items())]
        lines.append(f"score (killed / killed+survived+timeout): {self.score()}")
        for r in self.results:
            if r.outcome in ("survived", "timeout", "error"):
                m = r.mutant
                lines.append(
                    f"  {r.outcome}: {m.id} {m.contract}.sol:{m.line} {m.operator}: {m.original!r} -> {m.replacement!r}"
                )
        return "\n".join(lines)


# -- generation (on solc's AST) ----------------------------------------------------------------------


def solc_asts(sources_dir: Path = CONTRACTS_DIR) -> dict[str, dict]:
    """The pinned compiler's AST of every .sol in `sources_dir` (analysis only, no code generation)."""
    done = subprocess.run(
        ["node", str(HARDHAT_DIR / "mutants.js"), "ast", str(sources_dir)],
        capture_output=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"solc could not parse {sources_dir}: {done.stderr.decode()[-2000:]}")
    return json.loads(done.stdout)


def _span(node: dict) -> tuple[int, int]:
    start, length, _ = (int(x) for x in node["src"].split(":"))
    return start, start + length


def _walk(node, parents=()):
    if isinstance(node, dict):
        yield node, parents
        for value in node.values():
            yield from _walk(value, (*parents, node))
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, parents)


def generate(ast: dict, source: bytes, contract: str, operators=OPERATORS) -> list[Mutant]:
    """Every mutant of `contract` (the implementation contract of that name in `ast`) by `operators`."""
    nodes = {n["id"]: n for n, _ in _walk(ast) if "id" in n and "nodeType" in n}
    line_starts = [0] + [i + 1 for i, b in enumerate(source) if b == 0x0A]
    mutants: list[Mutant] = []

    def line_of(offset: int) -> int:
        lo, hi = 0, len(line_starts)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if line_starts[mid] <= offset else (lo, mid)
        return lo + 1

    def add(operator: str, start: int, end: int, replacement: str | None, function: str) -> None:
        original = source[start:end].decode()
        if replacement is None:  # a statement removed: an empty block in its place (with its `;`)
            after = end
            while after < len(source) and source[after : after + 1] in (b" ", b"\t"):
                after += 1
            if source[after : after + 1] == b";":
                end = after + 1
                original = source[start:end].decode()
            replacement = "{}"
        mutants.append(
            Mutant(
                id=f"{contract}-{len(mutants) + 1:04d}",
                contract=contract,
                operator=operator,
                line=line_of(start),
                start=start,
                end=end,
                original=original,
                replacement=replacement,
                function=function,
            )
        )

    def in_storage(expr: dict) -> bool:
        kind = expr.get("nodeType")
        if kind == "Identifier":
            decl = nodes.get(expr.get("referencedDeclaration"))
            return (
                bool(decl)
                and decl.get("nodeType") == "VariableDeclaration"
                and (decl.get("stateVariable") or decl.get("storageLocation") == "storage")
            )
        if kind == "MemberAccess":
            return in_storage(expr["expression"])
        if kind == "IndexAccess":
            return in_storage(expr["baseExpression"])
        return False

    def callee(expr: dict) -> str:
        if expr.get("nodeType") != "FunctionCall":
            return ""
        f = expr["expression"]
        return f.get("name") or f.get("memberName") or ""

    def is_revert(statement: dict) -> bool:
        if statement.get("nodeType") == "Block" and len(statement.get("statements", [])) == 1:
            statement = statement["statements"][0]
        if statement.get("nodeType") == "RevertStatement":
            return True
        return statement.get("nodeType") == "ExpressionStatement" and callee(statement["expression"]).startswith(
            ("revert", "_revert")
        )

    (contract_node,) = [
        n
        for n in ast["nodes"]
        if n.get("nodeType") == "ContractDefinition" and n["name"] == contract and n["contractKind"] == "contract"
    ]
    for function in contract_node["nodes"]:
        if function.get("nodeType") not in ("FunctionDefinition", "ModifierDefinition") or not function.get("body"):
            continue
        fname = function.get("name") or function.get("kind", "")
        if "role" in operators:
            for modifier in function.get("modifiers", []):
                if modifier.get("kind") == "baseConstructorSpecifier":
                    continue
                start, end = _span(modifier)
                add("role", start, end, "", fname)
        for node, parents in _walk(function["body"]):
            kind = node.get("nodeType")
            if kind == "BinaryOperation" and node["operator"] in FLIP:
                left_end = _span(node["leftExpression"])[1]
                right_start = _span(node["rightExpression"])[0]
                gap = source[left_end:right_start]
                at = gap.find(node["operator"].encode())
                if at < 0:
                    continue
                start, end = left_end + at, left_end + at + len(node["operator"])
                if "flip" in operators:
                    add("flip", start, end, FLIP[node["operator"]], fname)
                if "bound" in operators and node["operator"] in BOUND:
                    add("bound", start, end, BOUND[node["operator"]], fname)
            elif kind == "ExpressionStatement":
                expr = node["expression"]
                start, end = _span(node)
                name = callee(expr)
                if "check" in operators and (name == "require" or name.startswith(("revert", "_revert", "_check"))):
                    if name == "_checkRole":
                        if "role" in operators:
                            add("role", start, end, None, fname)
                    else:
                        add("check", start, end, None, fname)
                elif "write" in operators:
                    target = None
                    if expr.get("nodeType") == "Assignment":
                        target = expr["leftHandSide"]
                    elif expr.get("nodeType") == "UnaryOperation" and expr["operator"] in ("++", "--", "delete"):
                        target = expr["subExpression"]
                    elif name == "push" and expr["expression"].get("nodeType") == "MemberAccess":
                        target = expr["expression"]["expression"]
                    if target is not None and in_storage(target):
                        add("write", start, end, None, fname)
            elif (
                kind == "IfStatement"
                and "check" in operators
                and is_revert(node["trueBody"])
                and not node.get("falseBody")
            ):
                start, end = _span(node)
                add("check", start, end, None, fname)
            elif kind == "EmitStatement" and "event" in operators:
                args = node["eventCall"]["arguments"]
                for a, b in zip(args, args[1:]):
                    if a["typeDescriptions"]["typeString"] != b["typeDescriptions"]["typeString"]:
                        continue
                    (a0, a1), (b0, b1) = _span(a), _span(b)
                    text = source[a0:a1].decode(), source[a1:b0].decode(), source[b0:b1].decode()
                    if text[0] == text[2]:
                        continue  # the same expression twice: swapping changes nothing
                    add("event", a0, b1, text[2] + text[1] + text[0], fname)
    return mutants


def mutants_of(contract: str, operators=OPERATORS, sources_dir: Path = CONTRACTS_DIR) -> list[Mutant]:
    asts = solc_asts(sources_dir)
    return generate(asts[f"{contract}.sol"], (sources_dir / f"{contract}.sol").read_bytes(), contract, operators)


# -- running ---------------------------------------------------------------------------------------------


def compile_contract(sources_dir: Path, contract: str, out: Path) -> str | None:
    """Compile `contract` alone with the pinned solc; the compiler's messages when it does not compile."""
    done = subprocess.run(
        ["node", str(HARDHAT_DIR / "mutants.js"), "compile", str(sources_dir), contract, str(out)],
        capture_output=True,
        check=False,
    )
    if done.returncode == 0:
        return None  # (solcjs may still print warnings on stderr)
    return done.stderr.decode()[-1000:] or "solc failed"


def default_test_command(contract: str, artifact: Path) -> tuple[list[str], dict[str, str]]:
    """pytest on the contract's tests, fail-fast, one node kind, the mutated artifact swapped in."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "devtools.mutate.plugin",
        *TESTS[contract],
    ]
    return command, {"LEDGER_MUTANT_ARTIFACT": f"{contract}={artifact}", "LEDGER_DEV_NODE": "hardhat"}


def classify(returncode: int | None) -> str:
    """pytest's exit code → outcome: 0 the tests passed (survived), 1 a test failed (killed),
    None the run timed out; anything else (usage, internal error, no tests) is an error of the run."""
    if returncode is None:
        return "timeout"
    return {0: "survived", 1: "killed"}.get(returncode, "error")


def run_mutant(
    mutant: Mutant, original: dict, timeout: float, sources_dir: Path, test_command=default_test_command
) -> Result:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutant-") as tmp:
        work = Path(tmp)
        for sol in sources_dir.glob("*.sol"):
            (work / sol.name).write_bytes(sol.read_bytes())
        target = work / f"{mutant.contract}.sol"
        target.write_bytes(mutant.apply(target.read_bytes()))
        artifact = work / f"{mutant.contract}.json"
        if problem := compile_contract(work, mutant.contract, artifact):
            return Result(mutant, "compile_error", round(time.monotonic() - started, 1), problem.strip()[:300])
        compiled = json.loads(artifact.read_text())
        if (compiled["bytecode"], compiled["deployedBytecode"]) == (original["bytecode"], original["deployedBytecode"]):
            return Result(mutant, "equivalent", round(time.monotonic() - started, 1), "same bytecode as the original")
        command, env = test_command(mutant.contract, artifact)
        try:
            done = subprocess.run(
                command, cwd=REPO_ROOT, env=os.environ | env, capture_output=True, timeout=timeout, check=False
            )
            code: int | None = done.returncode
            detail = done.stdout.decode(errors="replace").strip().splitlines()[-1:] if done.stdout else []
        except subprocess.TimeoutExpired:
            code, detail = None, [f"timed out after {timeout:.0f} s"]
        return Result(mutant, classify(code), round(time.monotonic() - started, 1), " ".join(detail)[:300])


def source_digest(sources_dir: Path, contract: str) -> str:
    return hashlib.sha256((sources_dir / f"{contract}.sol").read_bytes()).hexdigest()


def earlier_verdicts(report_path: Path | None, sources_dir: Path) -> Report:
    """What an earlier sitting judged (its report at `report_path`), less what no longer applies: the
    results of a contract whose source has changed since, and every `error`."""
    if report_path is None or not report_path.exists():
        return Report()
    earlier = Report.from_json(json.loads(report_path.read_text()))
    current = {c: source_digest(sources_dir, c) for c in earlier.sources if (sources_dir / f"{c}.sol").exists()}
    stale = sorted(c for c, digest in earlier.sources.items() if current.get(c) != digest)
    if stale:
        print(f"resume: {', '.join(stale)} changed since the report was written: their mutants run again", flush=True)
    return Report(
        results=[
            r
            for r in earlier.results
            if r.outcome in JUDGED and r.mutant.contract in current and r.mutant.contract not in stale
        ],
        sources={c: d for c, d in earlier.sources.items() if c not in stale},
    )


def run(
    contracts: list[str],
    operators=OPERATORS,
    limit: int | None = None,
    timeout: float = 1800,
    report_path: Path | None = None,
    sources_dir: Path = CONTRACTS_DIR,
    test_command=default_test_command,
    only: set[str] | None = None,
    resume: bool = False,
) -> Report:
    """Generate and run the mutants of `contracts`; the report is rewritten after each mutant.

    With `resume`, the report at `report_path` is read first: a mutant it holds a verdict on (the same
    mutant of the same source) is not run again, `limit` counts only the mutants still to run, and
    the report and summary cover every mutant judged so far, in this sitting or an earlier one."""
    report = earlier_verdicts(report_path, sources_dir) if resume else Report()
    judged = {r.mutant: r for r in report.results}
    if resume and judged:
        print(f"resume: {len(judged)} mutants judged already ({report_path})", flush=True)
    asts = solc_asts(sources_dir)
    for contract in contracts:
        mutants = generate(asts[f"{contract}.sol"], (sources_dir / f"{contract}.sol").read_bytes(), contract, operators)
        if only:
            mutants = [m for m in mutants if m.id in only]
        report.sources[contract] = source_digest(sources_dir, contract)
        pending = [m for m in mutants if m not in judged][:limit]
        if not pending:
            continue
        with tempfile.TemporaryDirectory(prefix="original-") as tmp:
            original_path = Path(tmp) / "original.json"
            if problem := compile_contract(sources_dir, contract, original_path):
                raise RuntimeError(f"{contract} does not compile: {problem}")
            original = json.loads(original_path.read_text())
        for mutant in pending:
            result = run_mutant(mutant, original, timeout, sources_dir, test_command)
            report.results.append(result)
            print(
                f"{result.outcome:>13} {result.seconds:7.1f}s {mutant.id} {mutant.operator} line {mutant.line}",
                flush=True,
            )
            if report_path:
                report.results.sort(key=_in_generation_order)
                report_path.write_text(json.dumps(report.as_json(), indent=1, ensure_ascii=False) + "\n")
    report.results.sort(key=_in_generation_order)
    return report


def _in_generation_order(result: Result) -> tuple[str, str]:
    return result.mutant.contract, result.mutant.id
