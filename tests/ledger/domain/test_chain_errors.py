"""docs/chain-errors.md has one row for every custom error of the compiled contracts, and every rule it
names for a refusal exists in the code."""

import json
import re

import pytest

from ledger.settings import REPO_ROOT

TABLE = REPO_ROOT / "docs" / "chain-errors.md"
ROW = re.compile(r"^\| (?P<contract>[A-Za-z]+) \| `(?P<error>\w+)` \| (?P<where>[^|]*) \| (?P<answer>.*) \|$")
# Rules pydantic names itself (schema validation) rather than our code.
PYDANTIC_RULES = {"greater_than", "less_than_equal", "literal_error"}


@pytest.fixture
def published_rates():
    """No database here (overrides the package's autouse fixture)."""


def abi_errors() -> dict[str, set[str]]:
    errors = {}
    for artifact in sorted((REPO_ROOT / "ledger" / "artifacts").glob("*.json")):
        abi = json.loads(artifact.read_text())["abi"]
        errors[artifact.stem] = {item["name"] for item in abi if item["type"] == "error"}
    return errors


def table_rows() -> list[dict]:
    return [m.groupdict() for line in TABLE.read_text().splitlines() if (m := ROW.match(line))]


def documented(rows: list[dict], contracts: list[str]) -> set[tuple[str, str]]:
    """(contract, error) pairs the table covers; `both` stands for every contract."""
    return {(c, row["error"]) for row in rows for c in (contracts if row["contract"] == "both" else [row["contract"]])}


def source_text() -> str:
    return "\n".join(path.read_text() for folder in ("ledger", "api") for path in (REPO_ROOT / folder).rglob("*.py"))


def test_every_custom_error_of_both_contracts_has_exactly_one_row_and_no_row_names_a_gone_error():
    errors = abi_errors()
    assert set(errors) >= {"FeeLedger", "CommitmentRegistry"}
    rows = table_rows()
    assert len(rows) == len({(r["contract"], r["error"]) for r in rows}), "an error has two rows"
    in_abi = {(contract, name) for contract, names in errors.items() for name in names}
    covered = documented(rows, sorted(errors))
    assert in_abi - covered == set(), "custom errors without a row in docs/chain-errors.md"
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


def test_every_rule_the_table_names_is_a_rule_the_code_raises():
    code = source_text()
    rules_checked = 0
    for row in table_rows():
        for fields, rules in refusals(row["answer"]):
            assert fields and rules, f"{row['error']}: a refusal names its field and rule"
            for rule in set(rules) - PYDANTIC_RULES:
                assert f'"{rule}"' in code, f"{row['error']}: rule {rule} is not in the code"
                rules_checked += 1
    assert rules_checked >= 30
