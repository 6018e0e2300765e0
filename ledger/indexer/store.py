"""The indexer's SQL: checkpoint, recent block hashes, batch writes, rewinds and the operational
status (/health, /metrics). Its lease is ledger.db.lease.

Every function takes the caller's connection, so a batch's rows, its aggregates and the new
checkpoint commit in one transaction. Every change of the checkpoint is a compare-and-set on
its block number *and* hash, and every time is the database's clock (ledger.db.clock).
"""

from dataclasses import dataclass

from sqlalchemy import Connection, text

from ledger.core.errors import LeaseLost
from ledger.db.bulk import insert_rows
from ledger.db.clock import now_sql
from ledger.db.read_model import AGGREGATE_TABLES, EVENT_TABLES, INDEXER_TABLES
from ledger.indexer import aggregates
from ledger.indexer.projector import COLUMNS, Batch


@dataclass(frozen=True)
class Checkpoint:
    block_number: int
    block_hash: str
    genesis_hash: str
    addresses: frozenset[str] | None = None  # None: recorded before the address set was kept


@dataclass(frozen=True)
class Header:
    number: int
    hash: str
    parent_hash: str

    @classmethod
    def from_rpc(cls, block: dict) -> "Header":
        return cls(int(block["number"], 16), block["hash"], block["parentHash"])


def _address_set(addresses) -> str:
    return ",".join(sorted(addresses))


def load_checkpoint(conn: Connection, chain_id: int) -> Checkpoint | None:
    row = conn.execute(
        text("SELECT block_number, block_hash, genesis_hash, addresses FROM chain_state WHERE chain_id = :c"),
        {"c": chain_id},
    ).first()
    if row is None:
        return None
    addresses = frozenset(row[3].split(",")) if row[3] else None
    return Checkpoint(row[0], row[1], row[2], addresses)


def start(conn: Connection, chain_id: int, genesis_hash: str, header: Header, addresses) -> Checkpoint:
    """The first checkpoint: the block before the earliest deployment."""
    conn.execute(
        text(
            "INSERT INTO chain_state (chain_id, genesis_hash, block_number, block_hash, updated_at, addresses, "
            f"events_indexed, unknown_events, reorgs) VALUES (:c, :g, :n, :h, {now_sql(conn)}, :a, 0, 0, 0)"
        ),
        {"c": chain_id, "g": genesis_hash, "n": header.number, "h": header.hash, "a": _address_set(addresses)},
    )
    _store_headers(conn, chain_id, [header])
    return Checkpoint(header.number, header.hash, genesis_hash, frozenset(addresses))


def _move_checkpoint(conn: Connection, chain_id: int, expected: Header | Checkpoint, sets: str, values: dict) -> None:
    """Compare-and-set: change chain_state only if the checkpoint is still `expected`."""
    number, hash_ = (
        (expected.number, expected.hash)
        if isinstance(expected, Header)
        else (expected.block_number, expected.block_hash)
    )
    moved = conn.execute(
        text(
            f"UPDATE chain_state SET {sets}, updated_at = {now_sql(conn)} "
            "WHERE chain_id = :c AND block_number = :expected_n AND block_hash = :expected_h"
        ),
        {**values, "c": chain_id, "expected_n": number, "expected_h": hash_},
    )
    if moved.rowcount != 1:
        raise LeaseLost(f"chain {chain_id}: the checkpoint moved away from block {number} ({hash_})")


# -- blocks and batches ---------------------------------------------------------------------


def recent_headers(conn: Connection, chain_id: int, limit: int) -> list[Header]:
    """Stored block hashes, newest first."""
    rows = conn.execute(
        text(
            "SELECT block_number, block_hash, parent_hash FROM indexed_blocks WHERE chain_id = :c "
            "ORDER BY block_number DESC LIMIT :l"
        ),
        {"c": chain_id, "l": limit},
    )
    return [Header(*row) for row in rows]


def _store_headers(conn: Connection, chain_id: int, headers: list[Header]) -> None:
    insert_rows(
        conn,
        "indexed_blocks",
        ("chain_id", "block_number", "block_hash", "parent_hash"),
        [(chain_id, h.number, h.hash, h.parent_hash) for h in headers],
    )


def _insert(conn: Connection, batch: Batch) -> None:
    for table, rows in batch.rows.items():
        insert_rows(conn, table, COLUMNS[table], rows)


def write_batch(
    conn: Connection,
    batch: Batch,
    headers: list[Header],
    previous: Header,
    checkpoint: Header,
    keep_blocks: int,
    unknown: int = 0,
) -> None:
    """Event rows, updated aggregates, block hashes and the new checkpoint: one transaction.

    The checkpoint moves only from `previous` (number and hash), so rows below it can never be
    written twice, nor on top of a checkpoint a rewind or a rebuild changed."""
    chain_id = batch.chain_id
    _move_checkpoint(
        conn,
        chain_id,
        previous,
        "block_number = :n, block_hash = :h, events_indexed = events_indexed + :e, "
        "unknown_events = unknown_events + :u",
        {"n": checkpoint.number, "h": checkpoint.hash, "e": len(batch.rows["raw_events"]), "u": unknown},
    )
    _insert(conn, batch)
    aggregates.apply_fee_changes(conn, chain_id, batch.fee_changes)
    aggregates.refresh_commitments(conn, chain_id, batch.commitments)
    aggregates.apply_summary_changes(conn, chain_id, batch.summary_changes)
    _store_headers(conn, chain_id, headers)
    conn.execute(
        text("DELETE FROM indexed_blocks WHERE chain_id = :c AND block_number < :n"),
        {"c": chain_id, "n": checkpoint.number - keep_blocks},
    )


def _refresh_aggregates(conn: Connection, chain_id: int, projects: set, commitments: set, enterprises: set) -> None:
    """Recompute the aggregates of these keys from the event rows."""
    aggregates.refresh_fee_accounts(conn, chain_id, projects)
    aggregates.refresh_commitments(conn, chain_id, commitments)
    aggregates.recount_summaries(conn, chain_id, enterprises)


def add_addresses(conn: Connection, batch: Batch, checkpoint: Checkpoint, addresses, unknown: int = 0) -> None:
    """Contracts added to the manifest after indexing began: their rows up to the checkpoint
    (which stays where it is), the aggregates they touch recomputed, and the address set grown."""
    _move_checkpoint(
        conn,
        batch.chain_id,
        checkpoint,
        "addresses = :a, events_indexed = events_indexed + :e, unknown_events = unknown_events + :u",
        {"a": _address_set(addresses), "e": len(batch.rows["raw_events"]), "u": unknown},
    )
    # blocks already holding events of the other contracts have their time stored already
    for numbers in aggregates.chunked({row[1] for row in batch.rows["block_times"]}):
        aggregates.query_in(
            conn,
            "DELETE FROM block_times WHERE chain_id = :chain_id AND block_number IN :keys",
            batch.chain_id,
            numbers,
        )
    _insert(conn, batch)
    _refresh_aggregates(
        conn, batch.chain_id, {change[0] for change in batch.fee_changes}, batch.commitments, set(batch.summary_changes)
    )


def rewind(conn: Connection, chain_id: int, checkpoint: Checkpoint, ancestor: Header) -> None:
    """Delete everything above the common ancestor and recompute what it touched."""
    _move_checkpoint(
        conn,
        chain_id,
        checkpoint,
        "block_number = :n, block_hash = :h, reorgs = reorgs + 1",
        {"n": ancestor.number, "h": ancestor.hash},
    )
    above = {"c": chain_id, "n": ancestor.number}
    projects = {
        r[0]
        for r in conn.execute(
            text(
                "SELECT DISTINCT subject FROM raw_events WHERE chain_id = :c AND block_number > :n "
                "AND contract = 'FeeLedger' AND subject IS NOT NULL"
            ),
            above,
        )
    }
    commitments, enterprises = set(), set()
    for commitment, enterprise in conn.execute(
        text("SELECT commitment, enterprise FROM commitment_events WHERE chain_id = :c AND block_number > :n"), above
    ):
        commitments.add(commitment)
        enterprises.add(enterprise)
    # imported counters touch an enterprise without any commitment row
    enterprises |= {
        r[0]
        for r in conn.execute(
            text(
                "SELECT subject FROM raw_events WHERE chain_id = :c AND block_number > :n "
                "AND event = 'CountersImported'"
            ),
            above,
        )
    }
    for model in EVENT_TABLES:
        conn.execute(text(f"DELETE FROM {model.__tablename__} WHERE chain_id = :c AND block_number > :n"), above)
    conn.execute(text("DELETE FROM indexed_blocks WHERE chain_id = :c AND block_number > :n"), above)
    _refresh_aggregates(conn, chain_id, projects, commitments, enterprises)


def wipe(conn: Connection, chain_id: int, checkpoint: Checkpoint | None) -> None:
    """Drop a chain's whole read model (for an explicit rebuild), if its checkpoint is still
    `checkpoint` (compare-and-set: a read model another indexer moved meanwhile stays)."""
    if checkpoint is not None:
        gone = conn.execute(
            text("DELETE FROM chain_state WHERE chain_id = :c AND block_number = :n AND block_hash = :h"),
            {"c": chain_id, "n": checkpoint.block_number, "h": checkpoint.block_hash},
        )
        if gone.rowcount != 1:
            raise LeaseLost(f"chain {chain_id}: the checkpoint moved away from block {checkpoint.block_number}")
    for model in [*EVENT_TABLES, *AGGREGATE_TABLES, *INDEXER_TABLES]:
        conn.execute(text(f"DELETE FROM {model.__tablename__} WHERE chain_id = :c"), {"c": chain_id})


def enterprises_of(conn: Connection, chain_id: int, commitments: set[str]) -> dict[str, str]:
    found = {}
    for keys in aggregates.chunked(commitments):
        found.update(
            aggregates.query_in(
                conn,
                "SELECT commitment, enterprise FROM commitments WHERE chain_id = :chain_id AND commitment IN :keys",
                chain_id,
                keys,
            ).all()
        )
    return found


# -- operational status ---------------------------------------------------------------------


def _upsert_status(conn: Connection, chain_id: int, sets: str, values: dict) -> None:
    conn.execute(
        text("INSERT INTO indexer_status (chain_id) VALUES (:c) ON CONFLICT (chain_id) DO NOTHING"), {"c": chain_id}
    )
    conn.execute(text(f"UPDATE indexer_status SET {sets} WHERE chain_id = :c"), {**values, "c": chain_id})


def record_poll(conn: Connection, chain_id: int, head: int) -> None:
    """A poll ended without error: note it, and clear a halt an earlier run left."""
    _upsert_status(
        conn,
        chain_id,
        f"polled_at = {now_sql(conn)}, head_block = :head, halt_kind = NULL, halt_message = NULL, halted_at = NULL",
        {"head": head},
    )


def record_error(conn: Connection, chain_id: int, kind: str, message: str, *, halt: bool) -> None:
    """Count an error by kind and keep it as the last error; a halt is also kept as the halt."""
    clock = now_sql(conn)
    sets = f"last_error_kind = :k, last_error_message = :m, last_error_at = {clock}"
    if halt:
        sets += f", halt_kind = :k, halt_message = :m, halted_at = {clock}"
    _upsert_status(conn, chain_id, sets, {"k": kind, "m": message})
    conn.execute(
        text(
            f"INSERT INTO indexer_errors (chain_id, kind, count, last_at) VALUES (:c, :k, 1, {clock}) "
            f"ON CONFLICT (chain_id, kind) DO UPDATE SET count = indexer_errors.count + 1, last_at = {clock}"
        ),
        {"c": chain_id, "k": kind},
    )


@dataclass(frozen=True)
class Status:
    """The read model's own account of the indexer, for /health and /metrics."""

    checkpoint: int | None
    events_indexed: int
    unknown_events: int
    reorgs: int
    head_block: int | None  # the chain head at the last good poll
    poll_age_seconds: float | None  # since the last good poll or committed batch, by the database's clock
    halt_kind: str | None
    halt_message: str | None
    last_error_kind: str | None
    last_error_message: str | None
    errors: dict[str, int]


def load_status(conn: Connection, chain_id: int) -> Status:
    clock = now_sql(conn)
    state = conn.execute(
        text(
            f"SELECT block_number, events_indexed, unknown_events, reorgs, {clock} - updated_at "
            "FROM chain_state WHERE chain_id = :c"
        ),
        {"c": chain_id},
    ).first()
    status = conn.execute(
        text(
            f"SELECT head_block, {clock} - polled_at, halt_kind, halt_message, last_error_kind, last_error_message "
            "FROM indexer_status WHERE chain_id = :c"
        ),
        {"c": chain_id},
    ).first()
    errors = dict(
        conn.execute(text("SELECT kind, count FROM indexer_errors WHERE chain_id = :c"), {"c": chain_id}).tuples().all()
    )
    ages = [age for age in (state[4] if state else None, status[1] if status else None) if age is not None]
    return Status(
        checkpoint=state[0] if state else None,
        events_indexed=state[1] if state else 0,
        unknown_events=state[2] if state else 0,
        reorgs=state[3] if state else 0,
        head_block=status[0] if status else None,
        poll_age_seconds=max(0.0, min(ages)) if ages else None,
        halt_kind=status[2] if status else None,
        halt_message=status[3] if status else None,
        last_error_kind=status[4] if status else None,
        last_error_message=status[5] if status else None,
        errors=errors,
    )
