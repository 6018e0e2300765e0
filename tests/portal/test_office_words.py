"""The clerk's words for a failed office write name only errors the contracts can raise."""

from ledger.chain.artifacts import CONTRACT_NAMES, load_artifact
from portal.office_words import CHAIN_ERROR, chain_error_words


def test_every_error_with_words_is_one_the_contracts_declare_or_the_writers_revert():
    declared = {
        item["name"] for name in CONTRACT_NAMES for item in load_artifact(name)["abi"] if item["type"] == "error"
    }
    assert set(CHAIN_ERROR) - declared == {"TransactionReverted"}  # the writer's name for a bare revert


def test_an_unknown_error_still_reads_as_a_refusal_with_its_name():
    assert chain_error_words("SomethingNew") == "链上拒绝了这项操作。（合约错误：SomethingNew）"
    assert chain_error_words(None) == ""
