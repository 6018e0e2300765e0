"""Encoding the outbox's commands as contract calls, and asking the chain whether one has landed."""

from functools import cache

from eth_abi import encode as abi_encode
from eth_utils import collapse_if_tuple, function_abi_to_4byte_selector

from ledger.chain.artifacts import load_artifact
from ledger.outbox.kinds import Kind, abi_value

BATCH_BASE_GAS = 60_000  # a batch call's gas besides its items' (the writer's upper bound)


@cache
def _encoder(contract_name: str, function: str) -> tuple[bytes, list[str]]:
    """Selector and argument types of a contract function, from the artifact's ABI."""
    for item in load_artifact(contract_name)["abi"]:
        if item["type"] == "function" and item["name"] == function:
            return function_abi_to_4byte_selector(item), [collapse_if_tuple(i) for i in item["inputs"]]
    raise KeyError(f"{contract_name} has no function {function}")


def encode_call(kind: Kind, commands_args: list[dict]) -> tuple[bytes, int]:
    """The calldata for these commands of one kind (one call, or the batch call), and a gas limit.
    eth_abi directly: web3's encode_abi is ~50× slower on a batch of a thousand tuples (measured)."""
    if len(commands_args) == 1 or kind.batch is None:
        assert len(commands_args) == 1, f"{kind.name} has no batch call"
        selector, types = _encoder(kind.contract, kind.function)
        return selector + abi_encode(types, list(kind.args_of(commands_args[0]))), kind.gas_single
    selector, types = _encoder(kind.contract, kind.batch)
    if len(kind.fields) == 1:
        items = [kind.args_of(a)[0] for a in commands_args]
    else:
        items = [kind.args_of(a) for a in commands_args]
    return selector + abi_encode(types, [items]), BATCH_BASE_GAS + kind.gas_per_item * len(commands_args)


def landed(contract, kind: Kind, args: dict) -> bool | None:
    """Whether the command's effect is on chain (None: this kind cannot tell)."""
    if kind.landed_view is None:
        return None
    function, argument, reading = kind.landed_view
    answer = getattr(contract.functions, function)(abi_value(args[argument])).call()
    if reading == "bool":
        return bool(answer)
    return answer[3] != 0  # Commitment.status (v2 struct order); None = 0
