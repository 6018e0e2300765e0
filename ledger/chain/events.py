"""The one place that decodes logs: a precomputed topic0 → decoder table built from the ABIs.

`eth_abi` decoders are built once per event (web3's per-log `get_event_data` rebuilds them and
is far slower). Decoded values: bytes32 and addresses as 0x-prefixed lowercase hex, integers
as int, booleans as bool. A log whose topic no ABI here declares is never dropped: `raw_log`
keeps it undecoded (event None) for the raw store. Two ABIs declaring one topic with
different layouts are refused when the table is built (`AbiConflict`).

A v2 deployment stays indexable: the v2 layouts of the events v3 changed (FeeAssessed and
AccountImported, CommitmentImported: v3 added fields) are kept in `chain/events_v2.json`; their
topics differ, and a v2 log decodes under the event's name with the fields v3 added as None.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from eth_abi.decoding import ContextFramesBytesIO, TupleDecoder
from eth_abi.registry import registry
from eth_typing import ABIEvent
from eth_utils import event_abi_to_log_topic

from ledger.chain.artifacts import CONTRACT_NAMES, load_artifact
from ledger.core.errors import AbiConflict


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs a microsecond per log
class Log:
    """A decoded log with its proof; `topics` and `data` are the raw bytes as emitted."""

    block_number: int
    log_index: int
    block_hash: str
    transaction_hash: str
    address: str
    event: str | None  # None: a topic no ABI here declares (kept raw, undecoded)
    args: dict
    topics: bytes  # the topics' 32-byte words, concatenated
    data: bytes


def _topic_value(abi_type: str) -> Callable[[str], object] | None:
    if abi_type == "address":
        return lambda topic: "0x" + topic[26:]
    if abi_type.startswith("uint"):
        return lambda topic: int(topic, 16)
    if abi_type == "bool":
        return lambda topic: topic[-1] == "1"
    if abi_type.startswith("int"):
        bits = int(abi_type[3:] or 256)
        return lambda topic: int(topic, 16) - (1 << 256) if int(topic, 16) >> (bits - 1) else int(topic, 16)
    return None  # bytes32 and other fixed words stay as the topic's hex


def _data_value(abi_type: str) -> Callable[[Any], object] | None:
    if abi_type.startswith("bytes"):
        return lambda value: "0x" + value.hex()
    if abi_type == "address":
        return lambda value: value.lower()
    return None  # integers and booleans as eth_abi returns them


@dataclass(frozen=True)
class EventSpec:
    name: str
    names: tuple[str, ...]  # every argument, in declaration order
    indexed: tuple[tuple[int, Callable | None], ...]  # (position in names, topic converter)
    data: tuple[tuple[int, Callable | None], ...]  # (position in names, value converter)
    decoders: tuple  # eth_abi decoders of the data fields, in order
    static: bool  # every data field is one 32-byte word: decode them in sequence, no pointers
    absent: tuple[str, ...] = ()  # fields of the current layout this (older) layout lacks: None

    def decode_args(self, topics: list[str], data: bytes) -> dict:
        values: list[object] = [None] * len(self.names)
        for (position, convert), topic in zip(self.indexed, topics[1:]):
            values[position] = convert(topic) if convert else topic
        if self.data:
            stream = ContextFramesBytesIO(data)
            if self.static:
                decoded = [decoder.decode(stream) for decoder in self.decoders]
            else:
                decoded = TupleDecoder(decoders=self.decoders)(stream)
            for (position, convert), value in zip(self.data, decoded):
                values[position] = convert(value) if convert else value
        args = dict(zip(self.names, values))
        for name in self.absent:
            args[name] = None
        return args


def _spec(item: dict, absent: tuple[str, ...] = ()) -> EventSpec:
    inputs = item["inputs"]
    indexed = tuple((i, _topic_value(x["type"])) for i, x in enumerate(inputs) if x["indexed"])
    data_inputs = [(i, x) for i, x in enumerate(inputs) if not x["indexed"]]
    decoders = tuple(registry.get_decoder(x["type"]) for _, x in data_inputs)
    static = all(not getattr(d, "is_dynamic", False) for d in decoders)
    data = tuple((i, _data_value(x["type"])) for i, x in data_inputs)
    return EventSpec(item["name"], tuple(x["name"] for x in inputs), indexed, data, decoders, static, absent)


def _layout(item: dict) -> tuple:
    return item["name"], tuple((x["name"], x["type"], x["indexed"]) for x in item["inputs"])


CURRENT_ABIS = {name: load_artifact(name)["abi"] for name in CONTRACT_NAMES}
V2_ABIS = json.loads((Path(__file__).parent / "events_v2.json").read_text())


def absent_fields(contract: str, item: Mapping) -> tuple[str, ...]:
    """Fields the current layout of this event has and `item` (an older layout) lacks."""
    current = next(
        (x for x in CURRENT_ABIS.get(contract, ()) if x["type"] == "event" and x["name"] == item["name"]), None
    )
    names = {x["name"] for x in item["inputs"]}
    return tuple(x["name"] for x in current["inputs"] if x["name"] not in names) if current else ()


def topic_table(abis: dict[str, list[dict]], older: dict[str, list[dict]] | None = None) -> dict[str, EventSpec]:
    """topic0 → decoder for every event of the given ABIs (contract name → ABI), and of the
    `older` layouts of some of them (decoded with the fields they lack as None).

    The same event inherited by several contracts (AccessControl's RoleGranted) is one entry;
    one topic with two layouts (other indexed arguments or names) could not be decoded right
    for both, so it is refused."""
    table: dict[str, EventSpec] = {}
    layouts: dict[str, tuple[str, tuple]] = {}
    sources = [(contract, abi, True) for contract, abi in abis.items()]
    sources += [(contract, abi, False) for contract, abi in (older or {}).items()]
    for contract, abi, current in sources:
        for item in abi:
            if item["type"] != "event":
                continue
            topic = "0x" + event_abi_to_log_topic(cast(ABIEvent, item)).hex()
            layout = _layout(item)
            if topic in layouts and layouts[topic][1] != layout:
                raise AbiConflict(
                    f"event topic {topic} is declared by {layouts[topic][0]} as {layouts[topic][1]} and by "
                    f"{contract} as {layout}; one topic must have one layout"
                )
            layouts[topic] = (contract, layout)
            table[topic] = _spec(item, () if current else absent_fields(contract, item))
    return table


EVENTS: dict[str, EventSpec] = topic_table(CURRENT_ABIS, V2_ABIS)


def decode_log(raw: dict) -> Log | None:
    """Decode one log as eth_getLogs returns it; None for an event no ABI here declares."""
    topics = raw["topics"]
    spec = EVENTS.get(topics[0]) if topics else None
    if spec is None:
        return None
    data = bytes.fromhex(raw["data"][2:])
    return Log(
        block_number=int(raw["blockNumber"], 16),
        log_index=int(raw["logIndex"], 16),
        block_hash=raw["blockHash"],
        transaction_hash=raw["transactionHash"],
        address=raw["address"].lower(),
        event=spec.name,
        args=spec.decode_args(topics, data),
        topics=bytes.fromhex("".join(topics).replace("0x", "")),  # hex digits never contain "0x"
        data=data,
    )


def raw_log(raw: dict) -> Log:
    """A log kept as the node returned it, undecoded (event None): for topics no ABI declares."""
    topics = raw["topics"]
    return Log(
        block_number=int(raw["blockNumber"], 16),
        log_index=int(raw["logIndex"], 16),
        block_hash=raw["blockHash"],
        transaction_hash=raw["transactionHash"],
        address=raw["address"].lower(),
        event=None,
        args={},
        topics=bytes.fromhex("".join(topics).replace("0x", "")),
        data=bytes.fromhex(raw["data"][2:]),
    )
