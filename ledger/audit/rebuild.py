"""Rebuild the read model from the chain along a path independent of the indexer's fetch and
decode: `eth_getLogs` through web3's provider in fixed block ranges, decoded by web3
(`ledger.chain.audit_source`, not the indexer's `ledger.chain.rpc` and `ledger.chain.events`).
The decoded logs go through the same projection into rows (`ledger.indexer.projector`: one
definition of what a row means), then every aggregate is recomputed by full recount from the
event rows (`aggregates.refresh_*`, the reorg path), not by the indexer's incremental folds.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from ledger.chain.audit_source import Decoder, DecoderKind, block_times, get_logs
from ledger.chain.manifest import Manifest
from ledger.db.bulk import insert_rows
from ledger.indexer import aggregates
from ledger.indexer.projector import COLUMNS, Batch

if TYPE_CHECKING:  # the audit is handed a connected Web3; only ledger.chain imports web3
    from web3 import Web3

RANGE_BLOCKS = 2_000  # blocks per eth_getLogs (halved while the node refuses a range)


def rebuild(
    w3: "Web3",
    manifest: Manifest,
    scratch: Engine,
    *,
    to_block: int,
    decoder: DecoderKind = "codec",
    progress: Callable[[int, int], None] | None = None,
) -> int:
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
        logs = get_logs(w3, addresses, low, high)
        batch = Batch(chain_id)
        for raw in logs:
            entry = decode(raw)
            contract = contract_of[entry.address]
            if entry.event is None:
                batch.rows["raw_events"].append(
                    (
                        chain_id,
                        entry.block_number,
                        entry.log_index,
                        entry.block_hash,
                        entry.transaction_hash,
                        contract,
                        entry.address,
                        None,
                        None,
                        entry.topics,
                        entry.data,
                    )
                )
                continue
            batch.add(contract, entry, enterprise_of)
            enterprise_of.update(batch.recorded)
        batch.rows["block_times"] = block_times(w3, chain_id, sorted({int(raw["blockNumber"], 16) for raw in logs}))
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
