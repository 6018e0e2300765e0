"""Rebuild the read model from the chain along a path independent of the indexer's fetch and
decode: `eth_getLogs` through web3's provider (not ledger.chain.rpc) in fixed block ranges, decoded
by web3 (`ledger.chain.audit_decoder`, not the indexer's `ledger.chain.events`).
The decoded logs go through the same projection into rows (`ledger.indexer.projector`: one
definition of what a row means), then every aggregate is recomputed by full recount from the
event rows (`aggregates.refresh_*`, the reorg path), not by the indexer's incremental folds.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from ledger.chain.audit_decoder import Decoder, DecoderKind
from ledger.chain.manifest import Manifest
from ledger.core.errors import LedgerError
from ledger.db.bulk import insert_rows
from ledger.indexer import aggregates
from ledger.indexer.projector import COLUMNS, Batch

if TYPE_CHECKING:  # the audit is handed a connected Web3; only ledger.chain imports web3
    from web3 import Web3

RANGE_BLOCKS = 2_000  # blocks per eth_getLogs (halved while the node refuses a range)
HEADER_BATCH = 500  # headers per JSON-RPC batch


class RebuildError(LedgerError):
    """The node refused what the rebuild asked for."""


def _get_logs(w3: "Web3", addresses: list[str], low: int, high: int) -> list[dict]:
    """Raw logs of [low, high]; a range the node refuses is asked for in halves."""
    response = w3.provider.make_request("eth_getLogs", [{"address": addresses, "fromBlock": hex(low),
                                                         "toBlock": hex(high)}])
    if "error" not in response:
        return response["result"]
    if low == high:
        raise RebuildError(f"eth_getLogs of block {low}: {response['error']}")
    middle = (low + high) // 2
    return _get_logs(w3, addresses, low, middle) + _get_logs(w3, addresses, middle + 1, high)


def _block_times(w3: "Web3", chain_id: int, numbers: list[int]) -> list[tuple]:
    rows = []
    for start in range(0, len(numbers), HEADER_BATCH):
        with w3.batch_requests() as batch:
            for number in numbers[start:start + HEADER_BATCH]:
                batch.add(w3.eth.get_block(number))
            blocks = batch.execute()
        rows.extend((chain_id, block["number"], "0x" + bytes(block["hash"]).hex(), block["timestamp"]) for block in blocks)
    return rows


def rebuild(w3: "Web3", manifest: Manifest, scratch: Engine, *, to_block: int, decoder: DecoderKind = "codec",
            progress: Callable[[int, int], None] | None = None) -> int:
    """Write the read model of `manifest`'s contracts up to `to_block` into the migrated, empty
    `scratch` database. Returns the number of logs."""
    decode = Decoder.for_manifest(w3, manifest, decoder).decode
    contract_of = {c.address.lower(): c.name for c in manifest.contracts}
    addresses = list(contract_of)
    chain_id = manifest.chain_id
    enterprise_of: dict[str, str] = {}
    projects, commitments, enterprises = set(), set(), set()
    total = 0
    for low in range(manifest.start_block, to_block + 1, RANGE_BLOCKS):
        high = min(to_block, low + RANGE_BLOCKS - 1)
        logs = _get_logs(w3, addresses, low, high)
        batch = Batch(chain_id)
        for raw in logs:
            entry = decode(raw)
            contract = contract_of[entry.address]
            if entry.event is None:
                batch.rows["raw_events"].append((chain_id, entry.block_number, entry.log_index, entry.block_hash,
                                                 entry.transaction_hash, contract, entry.address, None, None,
                                                 entry.topics, entry.data))
                continue
            batch.add(contract, entry, enterprise_of)
            enterprise_of.update(batch.recorded)
        batch.rows["block_times"] = _block_times(w3, chain_id, sorted({int(raw["blockNumber"], 16) for raw in logs}))
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
