"""Each contract's invariants are listed in its NatSpec and each is checked by the stateful model
(issue 18 item 8). An implementation contract lists them as `@custom:invariant <name> <statement>`
tags; tests/contracts/test_stateful_model.py checks each, after every step, in the Hypothesis
invariant of the same name (`-` as `_`). The tags are read as the pinned solc reads them (the
`documentation` of the contract in its AST), so a tag the compiler would not take fails here too."""

import re

import pytest
from hypothesis.stateful import INVARIANT_MARKER

from devtools.mutate import solc_asts
from tests.contracts.test_stateful_model import CommitmentMachine, DrawMachine, FeeMachine

MACHINES = {"FeeLedger": FeeMachine, "CommitmentRegistry": CommitmentMachine, "InspectionDraws": DrawMachine}
# The machines' comparison of every view with the model: a check of the model, not a contract invariant.
MODEL_EQUALITY = {"views_match_the_model", "draws_equal_the_model"}
TAG = re.compile(r"@custom:invariant\s+(\S+)\s+(.*?)\s*(?=@[a-z]|\Z)", re.DOTALL)
NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


def listed_invariants(documentation: str) -> dict[str, str]:
    """name → statement of every `@custom:invariant` tag in a NatSpec comment's text."""
    listed: dict[str, str] = {}
    for name, statement in TAG.findall(documentation):
        assert NAME.fullmatch(name), f"invariant name {name!r}: lowercase words joined by '-'"
        assert name not in listed, f"invariant {name} listed twice"
        listed[name] = " ".join(statement.split())
    return listed


def checks_of(machine: type) -> set[str]:
    """The names of `machine`'s Hypothesis invariants."""
    return {name for name in dir(machine) if getattr(getattr(machine, name), INVARIANT_MARKER, None)}


def unchecked(listed: dict[str, str], machine: type) -> set[str]:
    """The invariants listed that `machine` has no check of the same name for."""
    return {name for name in listed if name.replace("-", "_") not in checks_of(machine)}


@pytest.fixture(scope="module")
def natspec() -> dict[str, dict[str, str]]:
    """Contract → its listed invariants, from the pinned compiler's AST of contracts/."""
    found = {}
    for ast in solc_asts().values():
        for node in ast["nodes"]:
            if node.get("nodeType") == "ContractDefinition" and node["name"] in MACHINES:
                found[node["name"]] = listed_invariants((node.get("documentation") or {}).get("text", ""))
    return found


def test_each_contract_lists_its_invariants_in_natspec(natspec):
    assert set(natspec) == set(MACHINES)
    for contract, listed in natspec.items():
        assert len(listed) >= 4, f"{contract} lists {sorted(listed)}"
        assert all(len(statement) > 20 for statement in listed.values()), listed


def test_each_invariant_a_contract_lists_is_checked_by_its_stateful_model(natspec):
    for contract, machine in MACHINES.items():
        assert unchecked(natspec[contract], machine) == set(), f"{contract}: no check in {machine.__name__}"


def test_each_invariant_the_model_checks_is_one_its_contract_lists(natspec):
    for contract, machine in MACHINES.items():
        listed = {name.replace("-", "_") for name in natspec[contract]}
        assert checks_of(machine) - MODEL_EQUALITY - listed == set(), contract


def test_an_invariant_listed_without_a_check_is_named():
    documentation = """@title Example
 @dev Something.
 @custom:invariant money-only-adds `paidFen` never decreases,
 over two lines.
 @custom:invariant never-checked-anywhere Nothing checks this.
 @custom:invariant due-follows-the-basis The formula."""
    listed = listed_invariants(documentation)
    assert listed["money-only-adds"] == "`paidFen` never decreases, over two lines."
    assert unchecked(listed, FeeMachine) == {"never-checked-anywhere"}
