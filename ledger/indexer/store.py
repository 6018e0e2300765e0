"""The indexer's SQL: checkpoint, lease, recent block hashes, batch writes and rewinds.

Every function takes the caller's connection, so a batch's rows, its aggregates and the new
checkpoint commit in one transaction.
"""

import time
from dataclasses import dataclass

from sqlalchemy import Connection, text

from ledger.db.bulk import insert_rows
from ledger.errors import LedgerError
from ledger.db.models import AGGREGATE_TABLES, EVENT_TABLES, INDEXER_TABLES
from ledger.indexer import aggregates
from ledger.indexer.projector import COLUMNS, Batch


class LeaseLost(LedgerError):
    """Another indexer holds this chain's lease, or moved the checkpoint; this one must not write."""


@dataclass(frozen=True)
class Checkpoint:
    block_number: int
    block_hash: str
    genesis_hash: str


@dataclass(frozen=True)
class Header:
    number: int
    hash: str
    parent_hash: str

    @classmethod
    def from_rpc(cls, block: dict) -> "Header":
        return cls(int(block["number"], 16), block["hash"], block["parentHash"])


def load_checkpoint(conn: Connection, chain_id: int) -> Checkpoint | None:
    row = conn.execute(
        text("SELECT block_number, block_hash, genesis_hash FROM chain_state WHERE chain_id = :c"), {"c": chain_id}
    ).first()
    return Checkpoint(*row) if row else None


def start(conn: Connection, chain_id: int, genesis_hash: str, header: Header) -> Checkpoint:
    """The first checkpoint: the block before the earliest deployment."""
    conn.execute(
        text("INSERT INTO chain_state (chain_id, genesis_hash, block_number, block_hash, updated_at) "
             "VALUES (:c, :g, :n, :h, :t)"),
        {"c": chain_id, "g": genesis_hash, "n": header.number, "h": header.hash, "t": time.time()},
    )
    _store_headers(conn, chain_id, [header])
    return Checkpoint(header.number, header.hash, genesis_hash)


def acquire_lease(conn: Connection, chain_id: int, owner: str, ttl: float) -> bool:
    """Take or renew the chain's lease; False while another live indexer holds it."""
    now = time.time()
    conn.execute(
        text("INSERT INTO indexer_leases (chain_id, owner, expires_at) VALUES (:c, :o, 0) ON CONFLICT DO NOTHING"),
        {"c": chain_id, "o": owner},
    )
    taken = conn.execute(
        text("UPDATE indexer_leases SET owner = :o, expires_at = :e "
             "WHERE chain_id = :c AND (owner = :o OR expires_at < :now)"),
        {"c": chain_id, "o": owner, "e": now + ttl, "now": now},
    )
    return taken.rowcount == 1


def release_lease(conn: Connection, chain_id: int, owner: str) -> None:
    conn.execute(text("UPDATE indexer_leases SET expires_at = 0 WHERE chain_id = :c AND owner = :o"),
                 {"c": chain_id, "o": owner})


def fence(conn: Connection, chain_id: int, owner: str, ttl: float) -> None:
    """Inside a write transaction: renew the lease or abort the transaction."""
    renewed = conn.execute(
        text("UPDATE indexer_leases SET expires_at = :e WHERE chain_id = :c AND owner = :o"),
        {"c": chain_id, "o": owner, "e": time.time() + ttl},
    )
    if renewed.rowcount != 1:
        raise LeaseLost(f"chain {chain_id}: the lease passed to another indexer")


def recent_headers(conn: Connection, chain_id: int, limit: int) -> list[Header]:
    """Stored block hashes, newest first."""
    rows = conn.execute(
        text("SELECT block_number, block_hash, parent_hash FROM indexed_blocks WHERE chain_id = :c "
             "ORDER BY block_number DESC LIMIT :l"),
        {"c": chain_id, "l": limit},
    )
    return [Header(*row) for row in rows]


def _store_headers(conn: Connection, chain_id: int, headers: list[Header]) -> None:
    insert_rows(conn, "indexed_blocks", ("chain_id", "block_number", "block_hash", "parent_hash"),
                [(chain_id, h.number, h.hash, h.parent_hash) for h in headers])


def write_batch(conn: Connection, batch: Batch, headers: list[Header], previous: int, checkpoint: Header,
                keep_blocks: int) -> None:
    """Event rows, recomputed aggregates, block hashes and the new checkpoint: one transaction.

    The checkpoint moves only from `previous`, so rows below it can never be written twice."""
    chain_id = batch.chain_id
    moved = conn.execute(
        text("UPDATE chain_state SET block_number = :n, block_hash = :h, updated_at = :t "
             "WHERE chain_id = :c AND block_number = :previous"),
        {"c": chain_id, "n": checkpoint.number, "h": checkpoint.hash, "t": time.time(), "previous": previous},
    )
    if moved.rowcount != 1:
        raise LeaseLost(f"chain {chain_id}: the checkpoint moved away from block {previous}")
    for table, rows in batch.rows.items():
        insert_rows(conn, table, COLUMNS[table], rows)
    aggregates.apply_fee_changes(conn, chain_id, batch.fee_changes)
    aggregates.refresh_commitments(conn, chain_id, batch.commitments)
    aggregates.refresh_summaries(conn, chain_id, set(batch.enterprise_latest), batch.enterprise_latest)
    _store_headers(conn, chain_id, headers)
    conn.execute(text("DELETE FROM indexed_blocks WHERE chain_id = :c AND block_number < :n"),
                 {"c": chain_id, "n": checkpoint.number - keep_blocks})


def rewind(conn: Connection, chain_id: int, ancestor: Header) -> None:
    """Delete everything above the common ancestor and recompute what it touched."""
    above = {"c": chain_id, "n": ancestor.number}
    projects = {r[0] for r in conn.execute(text(
        "SELECT DISTINCT subject FROM raw_events WHERE chain_id = :c AND block_number > :n "
        "AND contract = 'FeeLedger' AND subject IS NOT NULL"), above)}
    commitments, enterprises = set(), set()
    for commitment, enterprise in conn.execute(text(
            "SELECT commitment, enterprise FROM commitment_events WHERE chain_id = :c AND block_number > :n"), above):
        commitments.add(commitment)
        enterprises.add(enterprise)
    for model in EVENT_TABLES:
        conn.execute(text(f"DELETE FROM {model.__tablename__} WHERE chain_id = :c AND block_number > :n"), above)
    conn.execute(text("DELETE FROM indexed_blocks WHERE chain_id = :c AND block_number > :n"), above)
    aggregates.refresh_fee_accounts(conn, chain_id, projects)
    aggregates.refresh_commitments(conn, chain_id, commitments)
    aggregates.refresh_summaries(conn, chain_id, enterprises)
    conn.execute(
        text("UPDATE chain_state SET block_number = :n, block_hash = :h, updated_at = :t WHERE chain_id = :c"),
        {"c": chain_id, "n": ancestor.number, "h": ancestor.hash, "t": time.time()},
    )


def wipe(conn: Connection, chain_id: int) -> None:
    """Drop a chain's whole read model (for an explicit rebuild)."""
    for model in [*EVENT_TABLES, *AGGREGATE_TABLES, *INDEXER_TABLES]:
        if model.__tablename__ != "indexer_leases":
            conn.execute(text(f"DELETE FROM {model.__tablename__} WHERE chain_id = :c"), {"c": chain_id})


def enterprises_of(conn: Connection, chain_id: int, commitments: set[str]) -> dict[str, str]:
    found = {}
    for keys in aggregates.chunked(commitments):
        found.update(aggregates.query_in(
            conn, "SELECT commitment, enterprise FROM commitments WHERE chain_id = :chain_id AND commitment IN :keys",
            chain_id, keys).all())
    return found
