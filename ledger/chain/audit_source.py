"""The audit's own path to the chain, independent of the indexer's (`ledger.chain.rpc`, `ledger.chain.events`):
logs fetched by `eth_getLogs` through web3's provider, block headers through web3's batch requests, and
web3 decodes each log — by default with its ABI codec, one generic `decode(types, data)` per log and one
per topic (not the indexer's precomputed eth_abi topic table and hex-topic converters); with
`kind="events"`, by web3's `ContractEvent.process_log` (the reference, about 10× slower). Both read the
ABIs web3 is given for the manifest's contracts, the current and the older (v2) layouts.

It lives in `ledger.chain` because only this room talks to web3; only `ledger.audit` uses it.
"""

from dataclasses import dataclass, field
from typing import Literal, cast

from eth_utils import event_abi_to_log_topic
from web3 import Web3
from web3.contract.contract import ContractEvent
from web3.exceptions import MismatchedABI
from web3.types import BlockData, RPCEndpoint

from ledger.chain.events import V2_ABIS, Log, absent_fields
from ledger.chain.manifest import Manifest
from ledger.chain.node import contract_at
from ledger.core.errors import LedgerError

HEADER_BATCH = 500  # headers per JSON-RPC batch
DecoderKind = Literal["codec", "events"]


def _hex(value) -> str:
    return "0x" + bytes(value).hex()


def _normalise(abi_type: str, value):
    """web3's decoded value in the read model's form: 0x-hex bytes, lowercase addresses."""
    if abi_type == "address":
        return value.lower()
    if abi_type.startswith("bytes"):
        return _hex(value)
    return value


@dataclass(frozen=True)
class EventLayout:
    name: str
    names: tuple[str, ...]  # every argument in declaration order
    types: dict[str, str]
    topic_names: tuple[str, ...]
    topic_types: tuple[str, ...]
    data_names: tuple[str, ...]
    data_types: tuple[str, ...]
    contract_event: ContractEvent  # for decoder="events"
    absent: tuple[str, ...] = ()  # an older (v2) layout: the fields v3 added, as None


@dataclass
class Decoder:
    """topic0 → the event's layout, built from the contracts web3 knows."""

    w3: Web3
    kind: DecoderKind = "codec"
    layouts: dict[bytes, EventLayout] = field(default_factory=dict)

    @classmethod
    def for_manifest(cls, w3: Web3, manifest: Manifest, kind: DecoderKind = "codec") -> "Decoder":
        decoder = cls(w3, kind)
        for deployment in manifest.contracts:
            older = w3.eth.contract(
                address=Web3.to_checksum_address(deployment.address), abi=V2_ABIS.get(deployment.name, [])
            )
            for contract, current in ((contract_at(w3, deployment.name, deployment.address), True), (older, False)):
                for item in (i for i in contract.abi if i["type"] == "event"):
                    inputs = item["inputs"]
                    decoder.layouts.setdefault(
                        event_abi_to_log_topic(item),
                        EventLayout(
                            item["name"],
                            tuple(x["name"] for x in inputs),
                            {x["name"]: x["type"] for x in inputs},
                            tuple(x["name"] for x in inputs if x["indexed"]),
                            tuple(x["type"] for x in inputs if x["indexed"]),
                            tuple(x["name"] for x in inputs if not x["indexed"]),
                            tuple(x["type"] for x in inputs if not x["indexed"]),
                            contract.events[item["name"]](),
                            () if current else absent_fields(deployment.name, item),
                        ),
                    )
        return decoder

    def _args(self, layout: EventLayout, topics: list[bytes], data: bytes, raw: dict) -> dict:
        if self.kind == "events":
            decoded = layout.contract_event.process_log(
                {
                    "topics": topics,
                    "data": data,
                    "logIndex": int(raw["logIndex"], 16),
                    "transactionIndex": int(raw["transactionIndex"], 16),
                    "transactionHash": raw["transactionHash"],
                    "address": raw["address"],
                    "blockHash": raw["blockHash"],
                    "blockNumber": int(raw["blockNumber"], 16),
                }
            )
            values = dict(decoded["args"])
        else:
            codec = self.w3.codec
            if len(topics) != len(layout.topic_names) + 1:
                raise MismatchedABI(
                    f"{layout.name}: {len(topics) - 1} topics for {len(layout.topic_names)} indexed arguments"
                )
            # indexed arguments of static types are 32-byte words: their topics read as one tuple
            values = dict(zip(layout.topic_names, codec.decode(layout.topic_types, b"".join(topics[1:]))))
            values.update(zip(layout.data_names, codec.decode(layout.data_types, data)))
        args = {name: _normalise(layout.types[name], values[name]) for name in layout.names}
        return args | dict.fromkeys(layout.absent)

    def decode(self, raw: dict) -> Log:
        """One log as eth_getLogs returns it (hex strings) → a Log; event None if no ABI here declares it."""
        topics = [bytes.fromhex(t[2:]) for t in raw["topics"]]
        data = bytes.fromhex(raw["data"][2:])
        layout = self.layouts.get(topics[0]) if topics else None
        event, args = None, {}
        if layout is not None:
            try:
                event, args = layout.name, self._args(layout, topics, data, raw)
            except (MismatchedABI, ValueError):  # another layout under a known topic: kept raw, like the indexer
                event, args = None, {}
        return Log(
            block_number=int(raw["blockNumber"], 16),
            log_index=int(raw["logIndex"], 16),
            block_hash=raw["blockHash"].lower(),
            transaction_hash=raw["transactionHash"].lower(),
            address=raw["address"].lower(),
            event=event,
            args=args,
            topics=b"".join(topics),
            data=data,
        )


class RebuildError(LedgerError):
    """The node refused what the rebuild asked for."""


def get_logs(w3: Web3, addresses: list[str], low: int, high: int) -> list[dict]:
    """Raw logs of [low, high]; a range the node refuses is asked for in halves."""
    response = w3.provider.make_request(
        RPCEndpoint("eth_getLogs"), [{"address": addresses, "fromBlock": hex(low), "toBlock": hex(high)}]
    )
    if "error" not in response:
        return response["result"]
    if low == high:
        raise RebuildError(f"eth_getLogs of block {low}: {response['error']}")
    middle = (low + high) // 2
    return get_logs(w3, addresses, low, middle) + get_logs(w3, addresses, middle + 1, high)


def block_times(w3: Web3, chain_id: int, numbers: list[int]) -> list[tuple]:
    """(chain id, number, hash, timestamp) of each block, as rows of block_times."""
    rows: list[tuple] = []
    for start in range(0, len(numbers), HEADER_BATCH):
        with w3.batch_requests() as batch:
            for number in numbers[start : start + HEADER_BATCH]:
                batch.add(w3.eth.get_block(number))
            blocks = cast(list[BlockData], batch.execute())
        rows.extend(
            (chain_id, block["number"], "0x" + bytes(block["hash"]).hex(), block["timestamp"]) for block in blocks
        )
    return rows
