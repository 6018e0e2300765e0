"""Both development nodes serve the same chain to the ledger: 127.0.0.1, chain id 31337, the
development mnemonic's accounts funded."""

import json
import time

import pytest
from web3 import Web3

from ledger.chain.node import account_at, connect
from devtools.dev_node import LocalNode
from ledger.chain.rpc import JsonRpc
from ledger.core.errors import LedgerError
from ledger.core.settings import DEV_MNEMONIC

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


def test_a_development_node_serves_the_mnemonic_accounts_funded_on_chain_31337(node):
    assert node.url.startswith("http://127.0.0.1:")
    w3 = connect(node.url)
    assert w3.eth.chain_id == 31337
    accounts = [account_at(DEV_MNEMONIC, i).address for i in range(10)]
    assert w3.eth.accounts[:10] == accounts
    assert all(w3.eth.get_balance(a) >= Web3.to_wei(1_000, "ether") for a in accounts)


def test_an_unknown_node_kind_is_refused():
    with pytest.raises(LedgerError, match="unknown development node 'geth'"):
        LocalNode(kind="geth")


def test_an_anvil_node_with_a_state_file_serves_the_same_chain_after_a_restart(tmp_path):
    with LocalNode(kind="anvil", state_path=tmp_path / "state.json") as node:
        rpc = JsonRpc(node.url)
        rpc.call("evm_mine", [])
        before = [rpc.existing_block(n)["hash"] for n in (0, "latest")]
        node.stop()
        node.start()
        assert [rpc.existing_block(n)["hash"] for n in (0, "latest")] == before


def test_a_hardhat_node_refuses_a_state_file_it_cannot_keep(tmp_path):
    with pytest.raises(LedgerError, match="anvil can"):
        LocalNode(kind="hardhat", state_path=tmp_path / "state.json")


def test_an_anvil_node_crashed_and_restarted_again_and_again_keeps_its_genesis_and_every_mined_block(tmp_path):
    """SIGKILL after its chain is dumped (LocalNode.crash), four times, a second or more apart: anvil makes a
    genesis of its own at every start (its timestamp differs) and would dump it with the chain's, and after a
    few restarts serve one of them as block 0; the state file keeps only the chain's."""
    state = tmp_path / "state.json"
    with LocalNode(kind="anvil", state_path=state) as node:
        rpc = JsonRpc(node.url)
        rpc.call("evm_mine", [])
        before = [rpc.existing_block(n)["hash"] for n in (0, 1)]
        for _ in range(4):
            node.crash()
            time.sleep(1.1)  # a later second: a genesis of anvil's own would hash differently
            node.start()
            blocks = json.loads(state.read_text())["blocks"]
            assert [b["header"]["number"] for b in blocks].count("0x0") == 1
            assert [rpc.existing_block(n)["hash"] for n in (0, 1)] == before
            rpc.call("evm_mine", [])  # mining goes on after the restart
