"""docs/integrators/chain-errors.md has one row for every custom error of the compiled contracts; every refusal it
names is one the code raises with that field and that rule, and every unreachable error names the
contract functions that raise it."""

import ast
import json
import re

import pytest

from devtools import REPO_ROOT

TABLE = REPO_ROOT / "docs" / "integrators" / "chain-errors.md"
ROW = re.compile(r"^\| (?P<contract>[A-Za-z]+) \| `(?P<error>\w+)` \| (?P<where>[^|]*) \| (?P<answer>.*) \|$")
# Rules pydantic names itself (schema validation) rather than our code.
PYDANTIC_RULES = {"greater_than", "greater_than_equal", "less_than_equal", "literal_error"}


@pytest.fixture
def published_rates():
    """No database here (overrides the package's autouse fixture)."""


def abi_errors() -> dict[str, set[str]]:
    errors = {}
    for artifact in sorted((REPO_ROOT / "ledger" / "chain" / "artifacts").glob("*.json")):
        abi = json.loads(artifact.read_text())["abi"]
        errors[artifact.stem] = {item["name"] for item in abi if item["type"] == "error"}
    return errors


def table_rows() -> list[dict]:
    return [m.groupdict() for line in TABLE.read_text().splitlines() if (m := ROW.match(line))]


def documented(rows: list[dict], contracts: list[str]) -> set[tuple[str, str]]:
    """(contract, error) pairs the table covers; `both` stands for every contract."""
    return {(c, row["error"]) for row in rows for c in (contracts if row["contract"] == "both" else [row["contract"]])}


def source_text() -> str:
    return "\n".join(
        path.read_text() for folder in ("ledger", "api", "web") for path in (REPO_ROOT / folder).rglob("*.py")
    )


def abi_functions() -> dict[str, set[str]]:
    functions = {}
    for artifact in sorted((REPO_ROOT / "ledger" / "chain" / "artifacts").glob("*.json")):
        abi = json.loads(artifact.read_text())["abi"]
        functions[artifact.stem] = {item["name"] for item in abi if item["type"] == "function"}
    return functions


def _field_names(node: ast.expr) -> set[str]:
    """The field names a `field=` expression can take: its string constants (the replacement of a
    `.replace(old, new)`, both arms of a conditional); f-strings count by their constant tail."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _field_names(node.body) | _field_names(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "replace":
        return _field_names(node.args[1])
    if isinstance(node, ast.JoinedStr) and isinstance(node.values[-1], ast.Constant):
        return {node.values[-1].value.rsplit(".", 1)[-1]}
    return set()


def emitted_refusals() -> set[tuple[str, str]]:
    """(field, rule) of every refusal the code raises. A field passed in as a parameter (a helper that
    judges several fields) takes the field names its callers pass, through any number of helpers."""
    trees = [
        ast.parse(path.read_text())
        for folder in ("ledger", "api", "web")
        for path in (REPO_ROOT / folder).rglob("*.py")
    ]
    functions = [node for tree in trees for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]
    calls = [(function, call) for function in functions for call in ast.walk(function) if isinstance(call, ast.Call)]

    def parameters(function: ast.FunctionDef) -> tuple[list[str], list[str]]:
        positional = [a.arg for a in function.args.args]
        return positional, positional + [a.arg for a in function.args.kwonlyargs]

    def names(value: ast.expr, function: ast.FunctionDef, seen: frozenset) -> set[str]:
        if isinstance(value, ast.Name) and value.id in parameters(function)[1]:
            return passed(function, value.id, seen)
        return _field_names(value)

    def passed(function: ast.FunctionDef, parameter: str, seen: frozenset) -> set[str]:
        """The field names the callers of `function` pass as `parameter`."""
        if (function.name, parameter) in seen:
            return set()
        seen |= {(function.name, parameter)}
        positional = parameters(function)[0]
        found = set()
        for caller, call in calls:
            if getattr(call.func, "id", getattr(call.func, "attr", None)) != function.name:
                continue
            values = [k.value for k in call.keywords if k.arg == parameter]
            if parameter in positional:
                values += call.args[positional.index(parameter) : positional.index(parameter) + 1]
            for value in values:
                found |= names(value, caller, seen)
        return found

    pairs = set()
    for function, call in calls:
        keywords = {k.arg: k.value for k in call.keywords}
        rule = keywords.get("rule")
        if "field" in keywords and isinstance(rule, ast.Constant) and isinstance(rule.value, str):
            pairs |= {(name, rule.value) for name in names(keywords["field"], function, frozenset())}
    return pairs


def schema_rules() -> set[str]:
    """Rules raised by the request schemas' validators: pydantic reports them at the field they validate."""
    return PYDANTIC_RULES | set(re.findall(r'PydanticCustomError\(\s*"(\w+)"', source_text()))


def test_every_custom_error_of_both_contracts_has_exactly_one_row_and_no_row_names_a_gone_error():
    errors = abi_errors()
    assert set(errors) >= {"FeeLedger", "CommitmentRegistry"}
    rows = table_rows()
    assert len(rows) == len({(r["contract"], r["error"]) for r in rows}), "an error has two rows"
    in_abi = {(contract, name) for contract, names in errors.items() for name in names}
    covered = documented(rows, sorted(errors))
    assert in_abi - covered == set(), "custom errors without a row in docs/integrators/chain-errors.md"
    assert covered - in_abi == set(), "rows naming errors no contract declares"


def test_every_row_says_which_rule_refuses_it_or_why_it_cannot_be_reached():
    for row in table_rows():
        answer = row["answer"]
        assert re.match(r"(4\d\d `|not reachable|held, not refused)", answer), row["error"]
        if answer.startswith("not reachable"):
            assert len(answer) > len("not reachable: ") + 10, f"{row['error']}: say why"


def refusals(answer: str) -> list[tuple[list[str], list[str]]]:
    """`422 `a` / `b` `rule_1`, `rule_2` (why)` → [(["a", "b"], ["rule_1", "rule_2"])]."""
    found = []
    for segment in re.findall(r"\b4\d\d ([^;(]*)", answer):
        tokens = re.findall(r"`([^`]+)`", segment)
        fields = segment.count(" / ") + 1
        found.append((tokens[:fields], tokens[fields:]))
    return found


def test_every_refusal_the_table_names_is_raised_by_the_code_with_that_field_and_that_rule():
    code, raised, from_schemas = source_text(), emitted_refusals(), schema_rules()
    pairs_checked = 0
    for row in table_rows():
        for fields, rules in refusals(row["answer"]):
            assert fields and rules, f"{row['error']}: a refusal names its field and rule"
            for rule in rules:
                assert f'"{rule}"' in code or rule in PYDANTIC_RULES, f"{row['error']}: rule {rule} is not in the code"
                if rule in from_schemas:
                    continue
                for field in fields:
                    assert (field, rule) in raised, f"{row['error']}: the code never refuses {field} by {rule}"
                    pairs_checked += 1
    assert pairs_checked >= 40


def test_the_refusal_registry_sees_fields_passed_through_helpers_and_batch_items():
    raised = emitted_refusals()
    assert {
        ("paid_at", "not_before_assessment"),
        ("refunded_at", "not_after_chain_time"),
        ("decided_at", "not_before_signing"),
        ("accepted_at", "not_before_overdue_mark"),
        ("commitment_number", "unique_forever"),
        ("signed_at", "not_in_future"),
    } <= raised
    assert ("voucher_number", "not_before_assessment") not in raised


def test_every_unreachable_error_names_the_contract_functions_that_raise_it():
    functions = abi_functions()
    for row in table_rows():
        if not row["answer"].startswith("not reachable"):
            continue
        contracts = sorted(functions) if row["contract"] == "both" else [row["contract"]]
        named = set(re.findall(r"`(\w+)`", row["answer"]))
        for contract in contracts:
            assert named & functions[contract], f"{row['error']}: name the {contract} function(s) that raise it"
        declared = set().union(*(functions[contract] for contract in contracts))
        function_like = {name for name in named if re.fullmatch(r"_?[a-z]+[A-Z]\w*", name)}
        assert function_like <= declared, f"{row['error']}: no such function {function_like - declared}"
