"""The topic table: one topic, one layout; an event inherited by several contracts is one entry."""

import pytest

from ledger.chain.artifacts import load_artifact
from ledger.core.errors import AbiConflict
from ledger.chain.events import EVENTS, V2_ABIS, topic_table


def transfer(indexed_value: bool) -> dict:
    return {
        "type": "event",
        "name": "Transfer",
        "anonymous": False,
        "inputs": [
            {"name": "from", "type": "address", "indexed": True},
            {"name": "to", "type": "address", "indexed": True},
            {"name": "value", "type": "uint256", "indexed": indexed_value},
        ],
    }


def test_one_topic_with_two_layouts_is_refused_at_start_up():
    with pytest.raises(AbiConflict, match="Token.*Other|Other.*Token"):
        topic_table({"Token": [transfer(False)], "Other": [transfer(True)]})


def test_an_event_inherited_by_every_contract_is_one_entry():
    abis = {name: load_artifact(name)["abi"] for name in ("FeeLedger", "CommitmentRegistry", "InspectionDraws")}
    assert topic_table(abis, V2_ABIS).keys() == EVENTS.keys()
    role_granted = [e for e in abis["FeeLedger"] if e.get("name") == "RoleGranted"]
    assert role_granted and role_granted[0] in abis["CommitmentRegistry"] and role_granted[0] in abis["InspectionDraws"]


def test_the_v2_layouts_of_the_events_v3_changed_decode_with_the_added_fields_as_none():
    by_name = {}
    for spec in EVENTS.values():
        by_name.setdefault(spec.name, []).append(spec)
    changed = {name: specs for name, specs in by_name.items() if len(specs) > 1}
    assert set(changed) == {"FeeAssessed", "AccountImported", "CommitmentImported"}
    absent = {name: next(s.absent for s in specs if s.absent) for name, specs in changed.items()}
    assert absent == {
        "FeeAssessed": ("assessedAt",),
        "AccountImported": ("dueFen",),
        "CommitmentImported": ("recordedAt", "overdueAt", "evidenceSubmittedAt", "decidedAt"),
    }
