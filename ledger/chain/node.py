"""The connection to the EVM node, the role signers and the transaction sender.

This module (with the rest of `ledger/`) is the only place that imports web3.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from eth_abi import decode as abi_decode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import function_abi_to_4byte_selector
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import RPCEndpoint, TxParams

from ledger.chain.artifacts import CONTRACT_NAMES, load_artifact
from ledger.core.errors import ChainUnavailable, ContractRevert, GasTooHigh
from ledger.core.roles import ROLE_ACCOUNT_INDEX

Account.enable_unaudited_hdwallet_features()


def connect(rpc_url: str, *, timeout: float = 30) -> Web3:
    """A Web3 on `rpc_url`; injects the proof-of-authority middleware for chains (Besu QBFT,
    Clique) whose blocks carry more than 32 bytes of extraData."""
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
    try:
        genesis = w3.provider.make_request(RPCEndpoint("eth_getBlockByNumber"), ["0x0", False])["result"]
    except Exception as exc:  # requests raises several kinds; all mean the same here
        raise ChainUnavailable(f"no JSON-RPC node at {rpc_url}: {exc}") from exc
    if len(bytes.fromhex(genesis["extraData"][2:])) > 32:
        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def signers_from_mnemonic(mnemonic: str) -> dict[str, LocalAccount]:
    """The role signers, keyed by role name."""
    return {role: account_at(mnemonic, index) for role, index in ROLE_ACCOUNT_INDEX.items()}


def account_at(mnemonic: str, index: int) -> LocalAccount:
    """The account at m/44'/60'/0'/0/index of the mnemonic's HD wallet."""
    return Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}")


def _error_table() -> dict[bytes, tuple[str, list[str]]]:
    table = {}
    for name in CONTRACT_NAMES:
        for item in load_artifact(name)["abi"]:
            if item["type"] == "error":
                types = [i["type"] for i in item["inputs"]]
                table[function_abi_to_4byte_selector(item)] = (item["name"], types)
    return table


ERRORS = _error_table()


def decode_revert(data: str | bytes | Mapping | None) -> ContractRevert:
    """Turn revert data (as web3 or the node reports it) into a ContractRevert naming the custom error."""
    raw = revert_data(data) or b""
    selector, body = raw[:4], raw[4:]
    if selector in ERRORS:
        name, types = ERRORS[selector]
        return ContractRevert(name, tuple(abi_decode(types, body)))
    return ContractRevert("UnknownRevert", (raw.hex(),))


def revert_data(data) -> bytes | None:
    """The revert bytes in whatever shape a node reports them: a hex string (anvil, Geth: code 3),
    an object carrying `data` (Hardhat: −32603), possibly nested, or raw bytes; None if absent."""
    while isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, bytes):
        return data
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return None
    return None


# Every transaction we build asks for at most this share of the block gas limit. A node refuses
# outright a transaction whose gas limit exceeds the block's ("exceeds block gas limit"); the
# headroom covers the error of our gas figures (per-item upper bounds, or an estimate made against
# a state that moves before the block is mined), a block gas limit that moves after we read it
# (validators may vote it down by 1/1024 a block), and, on base-fee chains, a transaction filling
# whole blocks, which raises the base fee 12.5 % a block for everyone.
BLOCK_GAS_SHARE = 0.95


def gas_cap(block_gas_limit: int) -> int:
    """The most gas one transaction of ours may ask for under this block gas limit."""
    return int(block_gas_limit * BLOCK_GAS_SHARE)


def items_per_transaction(cap: int, base_gas: int, gas_per_item: int, most: int) -> int:
    """How many items of a batch call fit one transaction (at least one, at most `most`)."""
    return max(1, min(most, (cap - base_gas) // gas_per_item))


@dataclass
class Sender:
    """Signs and sends transactions for one account, keeping its own nonce.

    A failed transaction raises ContractRevert naming the custom error on any node: nodes
    report a revert in different shapes (Hardhat as an error on submission, anvil and Geth only
    as a status-0 receipt), so a failure without revert data is re-run with eth_call at its block.
    """

    w3: Web3
    account: LocalAccount

    @cached_property
    def _chain_id(self) -> int:
        return self.w3.eth.chain_id

    @cached_property
    def gas_cap(self) -> int:
        """`gas_cap` of the latest block's gas limit, read once (it changes rarely, and slowly)."""
        return gas_cap(self.w3.eth.get_block("latest")["gasLimit"])

    def __post_init__(self):
        self._nonce = None

    def send(self, call, *, gas: int | None = None, wait: bool = True):
        """Send a contract function call; raise ContractRevert naming the custom error.

        Without `gas`, the call is estimated first, which surfaces any revert before sending; its
        margin stops at `gas_cap`. Gas above `gas_cap` (given, or estimated) raises GasTooHigh
        before anything is signed: the caller splits its batch.
        """
        tx = {"from": self.account.address, "chainId": self._chain_id, "nonce": self._next_nonce()}
        try:
            if gas is None:
                estimate = call.estimate_gas({"from": self.account.address})
                gas = min(int(estimate * 1.2) + 10_000, max(estimate, self.gas_cap))
            if gas > self.gas_cap:
                raise GasTooHigh(f"gas {gas} exceeds {self.gas_cap}, {BLOCK_GAS_SHARE:.0%} of the block gas limit")
            tx = call.build_transaction({**tx, "gas": gas})
        except GasTooHigh:
            self._nonce -= 1
            raise
        except (ContractCustomError, ContractLogicError) as exc:
            self._nonce -= 1
            raise (
                decode_revert(exc.data) if revert_data(exc.data) else ContractRevert("Revert", (str(exc),))
            ) from None
        signed = self.account.sign_transaction(tx)
        try:
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        except Web3RPCError as exc:  # a node that executes on submission (Hardhat's automine) reports the revert here
            self._nonce = None  # whether the nonce was used is the node's business: ask it again
            error = (exc.rpc_response or {}).get("error", {})
            data = error.get("data")
            raise (
                decode_revert(data)
                if revert_data(data)
                else ContractRevert("Rejected", (error.get("message", str(exc)),))
            ) from None
        if not wait:
            return tx_hash
        return self.wait(tx_hash)

    def wait(self, tx_hash):
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.05)
        if receipt["status"] != 1:
            raise self._why_failed(receipt)
        return receipt

    def _why_failed(self, receipt) -> ContractRevert:
        """Re-run a failed transaction as a call at its block, with the gas it was given, to
        recover the custom error the receipt does not carry.

        The state at the end of its block is the state it failed in: a failed transaction
        changes nothing but its sender's nonce and balance, and a development node mines one
        transaction per block (on a shared block, a later transaction could have moved it)."""
        tx = self.w3.eth.get_transaction(receipt["transactionHash"])
        replay: TxParams = {
            "from": tx["from"],
            "to": tx["to"],
            "data": tx["input"],
            "value": tx["value"],
            "gas": tx["gas"],
        }
        try:
            self.w3.eth.call(replay, receipt["blockNumber"])
        except (ContractCustomError, ContractLogicError, Web3RPCError) as exc:
            data = exc.data if isinstance(exc, ContractLogicError) else (exc.rpc_response or {}).get("error")
            if revert_data(data):
                return decode_revert(data)
            return ContractRevert("TransactionFailed", (receipt["transactionHash"].hex(), str(exc)))
        return ContractRevert("TransactionFailed", (receipt["transactionHash"].hex(),))

    def _next_nonce(self) -> int:
        if self._nonce is None:
            self._nonce = self.w3.eth.get_transaction_count(self.account.address, "pending")
        nonce = self._nonce
        self._nonce += 1
        return nonce


def contract_at(w3: Web3, name: str, address: str) -> Contract:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(name)["abi"])
