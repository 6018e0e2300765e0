"""The topic table: one topic, one layout; an event inherited by several contracts is one entry."""

import pytest

from ledger.artifacts import load_artifact
from ledger.errors import AbiConflict
from ledger.events import EVENTS, topic_table


def transfer(indexed_value: bool) -> dict:
    return {"type": "event", "name": "Transfer", "anonymous": False, "inputs": [
        {"name": "from", "type": "address", "indexed": True},
        {"name": "to", "type": "address", "indexed": True},
        {"name": "value", "type": "uint256", "indexed": indexed_value},
    ]}


def test_one_topic_with_two_layouts_is_refused_at_start_up():
    with pytest.raises(AbiConflict, match="Token.*Other|Other.*Token"):
        topic_table({"Token": [transfer(False)], "Other": [transfer(True)]})


def test_an_event_inherited_by_both_contracts_is_one_entry():
    abis = {name: load_artifact(name)["abi"] for name in ("FeeLedger", "CommitmentRegistry")}
    assert topic_table(abis).keys() == EVENTS.keys()
    role_granted = [e for e in abis["FeeLedger"] if e.get("name") == "RoleGranted"]
    assert role_granted and role_granted[0] in abis["CommitmentRegistry"]
