"""Rebuild the read model from the chain along a path independent of the indexer's fetch and
decode: web3's `eth.get_logs` in fixed block ranges, web3's `ContractEvent.process_log` to
decode, block headers through web3. The decoded logs go through the same projection into rows
(`ledger.indexer.projector`: one definition of what a row means), then every aggregate is
recomputed by full recount from the event rows (`aggregates.refresh_*`, the reorg path), not by
the indexer's incremental folds.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from eth_utils import event_abi_to_log_topic
from sqlalchemy import Engine
from web3 import Web3
from web3.exceptions import MismatchedABI

from ledger.chain import contract_at
from ledger.db.bulk import insert_rows
from ledger.events import Log
from ledger.indexer import aggregates
from ledger.indexer.projector import COLUMNS, Batch
from ledger.manifest import Manifest

RANGE_BLOCKS = 2_000  # blocks per eth_getLogs
HEADER_BATCH = 500  # headers per JSON-RPC batch


def _hex(value) -> str:
    return "0x" + bytes(value).hex()


def _normalise(abi_type: str, value):
    """web3's decoded value in the read model's form: 0x-hex bytes, lowercase addresses."""
    if abi_type == "address":
        return value.lower()
    if abi_type.startswith("bytes"):
        return _hex(value)
    return value


@dataclass
class Decoder:
    """topic0 → (contract event, input types), built from the contracts web3 knows."""

    events: dict[bytes, tuple[object, dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def for_manifest(cls, w3: Web3, manifest: Manifest) -> "Decoder":
        decoder = cls()
        for deployment in manifest.contracts:
            contract = contract_at(w3, deployment.name, deployment.address)
            for item in (i for i in contract.abi if i["type"] == "event"):
                decoder.events.setdefault(event_abi_to_log_topic(item), (
                    contract.events[item["name"]](), {x["name"]: x["type"] for x in item["inputs"]}))
        return decoder

    def decode(self, raw) -> Log:
        topics = raw["topics"]
        found = self.events.get(bytes(topics[0])) if topics else None
        event, args = None, {}
        if found is not None:
            contract_event, types = found
            try:
                decoded = contract_event.process_log(raw)
                event = decoded["event"]
                args = {name: _normalise(types[name], value) for name, value in decoded["args"].items()}
            except MismatchedABI:  # a topic collision with another layout: kept raw, like the indexer
                event, args = None, {}
        return Log(block_number=raw["blockNumber"], log_index=raw["logIndex"], block_hash=_hex(raw["blockHash"]),
                   transaction_hash=_hex(raw["transactionHash"]), address=raw["address"].lower(), event=event,
                   args=args, topics=b"".join(bytes(t) for t in topics), data=bytes(raw["data"]))


def _block_times(w3: Web3, chain_id: int, numbers: list[int]) -> list[tuple]:
    rows = []
    for start in range(0, len(numbers), HEADER_BATCH):
        with w3.batch_requests() as batch:
            for number in numbers[start:start + HEADER_BATCH]:
                batch.add(w3.eth.get_block(number))
            blocks = batch.execute()
        rows.extend((chain_id, block["number"], _hex(block["hash"]), block["timestamp"]) for block in blocks)
    return rows


def rebuild(w3: Web3, manifest: Manifest, scratch: Engine, *, to_block: int,
            progress: Callable[[int, int], None] | None = None) -> int:
    """Write the read model of `manifest`'s contracts up to `to_block` into the migrated, empty
    `scratch` database. Returns the number of logs."""
    decoder = Decoder.for_manifest(w3, manifest)
    contract_of = {c.address.lower(): c.name for c in manifest.contracts}
    addresses = [Web3.to_checksum_address(a) for a in contract_of]
    chain_id = manifest.chain_id
    enterprise_of: dict[str, str] = {}
    projects, commitments, enterprises = set(), set(), set()
    total = 0
    for low in range(manifest.start_block, to_block + 1, RANGE_BLOCKS):
        high = min(to_block, low + RANGE_BLOCKS - 1)
        logs = w3.eth.get_logs({"address": addresses, "fromBlock": low, "toBlock": high})
        batch = Batch(chain_id)
        for raw in logs:
            entry = decoder.decode(raw)
            contract = contract_of[entry.address]
            if entry.event is None:
                batch.rows["raw_events"].append((chain_id, entry.block_number, entry.log_index, entry.block_hash,
                                                 entry.transaction_hash, contract, entry.address, None, None,
                                                 entry.topics, entry.data))
                continue
            batch.add(contract, entry, enterprise_of)
            enterprise_of.update(batch.recorded)
        batch.rows["block_times"] = _block_times(w3, chain_id, sorted({raw["blockNumber"] for raw in logs}))
        with scratch.begin() as conn:
            for table, rows in batch.rows.items():
                insert_rows(conn, table, COLUMNS[table], rows)
        projects |= {change[0] for change in batch.fee_changes}
        commitments |= batch.commitments
        enterprises |= set(batch.summary_changes)
        total += len(logs)
        if progress:
            progress(high, total)
    with scratch.begin() as conn:
        aggregates.refresh_fee_accounts(conn, chain_id, projects)
        aggregates.refresh_commitments(conn, chain_id, commitments)
        aggregates.recount_summaries(conn, chain_id, enterprises)
    return total
