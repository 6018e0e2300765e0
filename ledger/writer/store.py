"""The outbox writer's SQL: claiming accepted commands, storing signed transactions, recording
receipts, failures and dropped transactions, and promoting mined commands to `indexed`.

Every function takes the caller's connection, so the writer fences each write transaction with
its lease (ledger.db.lease) before any of these run. Bookkeeping times are this host's clock
(unix seconds); nothing here decides who may write.
"""

import time
from dataclasses import dataclass, field

import orjson
from sqlalchemy import Connection, bindparam, text

from ledger.outbox.commands import ACCEPTED, FAILED, INDEXED, MINED, SUBMITTED


@dataclass
class Command:
    seq: int
    id: str
    kind: str
    role: str
    project_code: str
    args: dict
    attempts: int


@dataclass
class SentTransaction:
    id: int
    hash: str
    sender: str
    nonce: int
    raw: bytes
    commands: list[Command] = field(default_factory=list)


def _in(sql: str):
    """`sql` with its `:seqs` parameter expanded to a list."""
    return text(sql).bindparams(bindparam("seqs", expanding=True))


def mark_indexed(conn: Connection, chain_id: int) -> int:
    """Mined commands whose block the read model's checkpoint has passed are `indexed`."""
    return conn.execute(
        text(
            "UPDATE outbox_commands SET status = :indexed, indexed_at = :now WHERE status = :mined AND "
            "block_number <= (SELECT block_number FROM chain_state WHERE chain_id = :chain)"
        ),
        {"indexed": INDEXED, "mined": MINED, "now": time.time(), "chain": chain_id},
    ).rowcount


def roles_with_work(conn: Connection) -> set[str]:
    return {
        r[0] for r in conn.execute(text("SELECT DISTINCT role FROM outbox_commands WHERE status = :s"), {"s": ACCEPTED})
    }


def claimable(conn: Connection, role: str, limit: int) -> list[Command]:
    """Accepted commands of a role in acceptance order, except those waiting for an earlier command
    of their project signed by another role that is not mined yet."""
    rows = conn.execute(
        text("""
        SELECT c.seq, c.id, c.kind, c.role, c.project_code, c.args, c.attempts FROM outbox_commands c
        WHERE c.status = :accepted AND c.role = :role AND NOT EXISTS (
            SELECT 1 FROM outbox_commands p
            WHERE p.project_code = c.project_code AND p.seq < c.seq AND p.role <> c.role
              AND p.status IN (:accepted, :submitted))
        ORDER BY c.seq LIMIT :limit"""),
        {"accepted": ACCEPTED, "submitted": SUBMITTED, "role": role, "limit": limit},
    ).all()
    return [
        Command(seq, id_, kind, role_, project, orjson.loads(args), attempts)
        for seq, id_, kind, role_, project, args, attempts in rows
    ]


def fail(conn: Connection, seqs: list[int], error_name: str, error_args: list[str]) -> None:
    """Accepted commands the contract refuses fail with its decoded error."""
    conn.execute(
        _in(
            "UPDATE outbox_commands SET status = :failed, error_name = :name, error_args = :args, "
            "mined_at = NULL WHERE seq IN :seqs AND status = :accepted"
        ),
        {
            "failed": FAILED,
            "name": error_name,
            "args": orjson.dumps(error_args).decode(),
            "accepted": ACCEPTED,
            "seqs": seqs,
        },
    )


def record_signed(
    conn: Connection, chain_id: int, sender: str, nonce: int, tx_hash: str, raw: bytes, seqs: list[int]
) -> int:
    """The signed transaction, stored before it is sent, and its commands `submitted`; returns its id."""
    now = time.time()
    tx_id = conn.execute(
        text(
            "INSERT INTO outbox_transactions (chain_id, sender, nonce, transaction_hash, raw, status, created_at) "
            "VALUES (:chain, :sender, :nonce, :hash, :raw, 'sent', :now) RETURNING id"
        ),
        {"chain": chain_id, "sender": sender, "nonce": nonce, "hash": tx_hash, "raw": raw, "now": now},
    ).scalar_one()
    if not seqs:  # a no-op filling a nonce gap (ledger.writer.writer): no commands
        return tx_id
    conn.execute(
        _in(
            "UPDATE outbox_commands SET status = :submitted, transaction_id = :tx, transaction_hash = :hash, "
            "submitted_at = :now, attempts = attempts + 1 WHERE seq IN :seqs"
        ),
        {"submitted": SUBMITTED, "tx": tx_id, "hash": tx_hash, "now": now, "seqs": seqs},
    )
    return tx_id


def record_receipt(conn: Connection, tx_id: int, block: int, ok: bool, tx_hash: str, max_attempts: int) -> int:
    """A mined transaction's commands are `mined`; a reverted one's go back to `accepted` (the next
    round's check finds the culprit), or fail once they were in `max_attempts` reverted transactions.
    Returns how many commands changed."""
    now = time.time()
    conn.execute(
        text("UPDATE outbox_transactions SET status = :s, block_number = :b, settled_at = :now WHERE id = :id"),
        {"s": "mined" if ok else "reverted", "b": block, "now": now, "id": tx_id},
    )
    if ok:
        return conn.execute(
            text(
                "UPDATE outbox_commands SET status = :mined, block_number = :b, mined_at = :now "
                "WHERE transaction_id = :id AND status = :submitted"
            ),
            {"mined": MINED, "b": block, "now": now, "id": tx_id, "submitted": SUBMITTED},
        ).rowcount
    conn.execute(
        text(
            "UPDATE outbox_commands SET status = :failed, error_name = 'TransactionReverted', "
            "error_args = :args WHERE transaction_id = :id AND status = :submitted AND attempts >= :max"
        ),
        {
            "failed": FAILED,
            "args": orjson.dumps([tx_hash]).decode(),
            "id": tx_id,
            "submitted": SUBMITTED,
            "max": max_attempts,
        },
    )
    return conn.execute(
        text(
            "UPDATE outbox_commands SET status = :accepted, transaction_id = NULL, transaction_hash = NULL "
            "WHERE transaction_id = :id AND status = :submitted"
        ),
        {"accepted": ACCEPTED, "id": tx_id, "submitted": SUBMITTED},
    ).rowcount


def unsettled(conn: Connection, chain_id: int) -> list[SentTransaction]:
    """Transactions still `sent` (an earlier round's, or a crashed writer's), in nonce order per sender."""
    rows = conn.execute(
        text(
            "SELECT id, transaction_hash, sender, nonce, raw FROM outbox_transactions "
            "WHERE chain_id = :c AND status = 'sent' ORDER BY sender, nonce"
        ),
        {"c": chain_id},
    )
    return [SentTransaction(id_, hash_, sender, nonce, bytes(raw)) for id_, hash_, sender, nonce, raw in rows]


def submitted_commands(conn: Connection, tx_id: int) -> list[tuple[int, str, dict]]:
    """(seq, kind, args) of the commands still waiting on a transaction."""
    rows = conn.execute(
        text("SELECT seq, kind, args FROM outbox_commands WHERE transaction_id = :id AND status = :submitted"),
        {"id": tx_id, "submitted": SUBMITTED},
    )
    return [(seq, kind, orjson.loads(args)) for seq, kind, args in rows]


def record_dropped(conn: Connection, tx_id: int, landed: list[int], requeue: list[int], head: int) -> None:
    """A transaction whose nonce another one used: the commands that landed anyway are `mined` (at the
    head block), the others go back to `accepted`."""
    now = time.time()
    conn.execute(
        text("UPDATE outbox_transactions SET status = 'dropped', settled_at = :now WHERE id = :id"),
        {"now": now, "id": tx_id},
    )
    if landed:
        conn.execute(
            _in(
                "UPDATE outbox_commands SET status = :mined, block_number = :head, mined_at = :now, "
                "transaction_hash = NULL WHERE seq IN :seqs"
            ),
            {"mined": MINED, "head": head, "now": now, "seqs": landed},
        )
    if requeue:
        conn.execute(
            _in(
                "UPDATE outbox_commands SET status = :accepted, transaction_id = NULL, "
                "transaction_hash = NULL WHERE seq IN :seqs"
            ),
            {"accepted": ACCEPTED, "seqs": requeue},
        )
