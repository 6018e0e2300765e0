"""Aggregates of the read model: fee accounts, commitments and enterprise summaries.

Fee accounts are folded incrementally (a backfill touches the same accounts over and over);
after a reorg they are recomputed by the same fold over the remaining rows. Commitments and
summaries are recomputed from the history rows of the keys a batch touched. Tests check that
a rewound read model equals a fresh re-index.
"""

from collections.abc import Iterable, Iterator

from sqlalchemy import Connection, bindparam, text

from ledger.db.bulk import insert_rows

CHUNK = 500

FEE_ACCOUNT_COLUMNS = ("chain_id", "project", "payer", "revision", "due_fen", "paid_fen", "refunded_fen", "status",
                       "block_number", "log_index", "block_hash", "transaction_hash")
COMMITMENT_COLUMNS = ("chain_id", "commitment", "project", "enterprise", "kind", "due_at", "recorded_block", "status",
                      "fulfilled_late", "block_number", "log_index", "block_hash", "transaction_hash")
SUMMARY_COLUMNS = ("chain_id", "enterprise", "recorded", "fulfilled", "fulfilled_late", "overdue", "breached",
                   "repaired", "block_number", "log_index", "block_hash", "transaction_hash")


def chunked(keys: Iterable[str]) -> Iterator[list[str]]:
    keys = sorted(keys)
    for start in range(0, len(keys), CHUNK):
        yield keys[start:start + CHUNK]


def query_in(conn: Connection, sql: str, chain_id: int, keys: list[str]):
    statement = text(sql).bindparams(bindparam("keys", expanding=True))
    return conn.execute(statement, {"chain_id": chain_id, "keys": keys})


def fee_status(assessed: bool, due: int, net: int) -> str:
    if not assessed:
        return "unassessed"
    if due == 0:
        return "exempt" if net == 0 else "overpaid"
    if net == 0:
        return "assessed"
    return "partially_paid" if net < due else "paid" if net == due else "overpaid"


def _latest_proofs(conn: Connection, chain_id: int, keys: list[str], table: str, key: str) -> dict[str, tuple]:
    """The proof of the newest row per key."""
    rows = query_in(conn, f"""
        SELECT {key}, block_number, log_index, block_hash, transaction_hash FROM (
            SELECT {key}, block_number, log_index, block_hash, transaction_hash,
                   ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY block_number DESC, log_index DESC) AS newest
            FROM {table} WHERE chain_id = :chain_id AND {key} IN :keys
        ) AS ranked WHERE newest = 1""", chain_id, keys)
    return {row[0]: tuple(row[1:]) for row in rows}


# -- fee accounts: one fold, applied to a batch (live) or to all remaining rows (reorg) ------

def fold_fee_event(account: list | None, event: str, args: dict, proof: tuple) -> list:
    """The account [payer, revision, due, paid, refunded, *latest proof] after one event."""
    if event == "FeeAssessed":  # an assessment replaces the amount due
        payer, revision, due, paid, refunded = args["payer"], args["revision"], args["amountFen"], 0, 0
        if account:
            paid, refunded = account[3], account[4]
        account = [payer, revision, due, paid, refunded]
    elif event == "FeeAdjusted":
        account[2] += args["deltaFen"]
    elif event == "PaymentRecorded":
        account[3] += args["amountFen"]
    elif event == "RefundRecorded":
        account[4] += args["amountFen"]
    account[5:] = proof[1:]
    return account


def _write_fee_accounts(conn: Connection, chain_id: int, keys: list[str], accounts: dict[str, list]) -> None:
    query_in(conn, "DELETE FROM fee_accounts WHERE chain_id = :chain_id AND project IN :keys", chain_id, keys)
    insert_rows(conn, "fee_accounts", FEE_ACCOUNT_COLUMNS, [
        (chain_id, project, payer, revision, due, paid, refunded, fee_status(True, due, paid - refunded), *proof)
        for project, (payer, revision, due, paid, refunded, *proof) in accounts.items()
    ])


def apply_fee_changes(conn: Connection, chain_id: int, changes: list[tuple]) -> None:
    """Fold a batch's fee events into the stored accounts of the projects they touch."""
    projects = {project for project, *_ in changes}
    for keys in chunked(projects):
        accounts = {row[0]: list(row[1:]) for row in query_in(conn, """
            SELECT project, payer, revision, due_fen, paid_fen, refunded_fen,
                   block_number, log_index, block_hash, transaction_hash
            FROM fee_accounts WHERE chain_id = :chain_id AND project IN :keys""", chain_id, keys)}
        wanted = set(keys)
        for project, event, args, proof in changes:
            if project in wanted:
                accounts[project] = fold_fee_event(accounts.get(project), event, args, proof)
        _write_fee_accounts(conn, chain_id, keys, accounts)


def refresh_fee_accounts(conn: Connection, chain_id: int, projects: set[str]) -> None:
    """Recompute accounts from every remaining fee event of `projects` (after a reorg)."""
    for keys in chunked(projects):
        rows = query_in(conn, """
            SELECT project, 'FeeAssessed', payer, revision, amount_fen, block_number, log_index, block_hash,
                   transaction_hash FROM fee_assessments WHERE chain_id = :chain_id AND project IN :keys
            UNION ALL SELECT project, 'FeeAdjusted', NULL, NULL, delta_fen, block_number, log_index, block_hash,
                   transaction_hash FROM fee_adjustments WHERE chain_id = :chain_id AND project IN :keys
            UNION ALL SELECT project, 'PaymentRecorded', NULL, NULL, amount_fen, block_number, log_index, block_hash,
                   transaction_hash FROM payments WHERE chain_id = :chain_id AND project IN :keys
            UNION ALL SELECT project, 'RefundRecorded', NULL, NULL, amount_fen, block_number, log_index, block_hash,
                   transaction_hash FROM refunds WHERE chain_id = :chain_id AND project IN :keys
            ORDER BY 6, 7""", chain_id, keys)
        accounts: dict[str, list] = {}
        for project, event, payer, revision, amount, *proof in rows:
            args = {"payer": payer, "revision": revision, "amountFen": amount, "deltaFen": amount}
            accounts[project] = fold_fee_event(accounts.get(project), event, args, (chain_id, *proof))
        _write_fee_accounts(conn, chain_id, keys, accounts)


def refresh_commitments(conn: Connection, chain_id: int, commitments: set[str]) -> None:
    for keys in chunked(commitments):
        query_in(conn, "DELETE FROM commitments WHERE chain_id = :chain_id AND commitment IN :keys", chain_id, keys)
        state: dict[str, list] = {}
        for (commitment, enterprise, project, kind, event, status, due_at, late,
             block, index, block_hash, tx_hash) in query_in(conn, """
                SELECT commitment, enterprise, project, kind, event, status, due_at, late,
                       block_number, log_index, block_hash, transaction_hash
                FROM commitment_events WHERE chain_id = :chain_id AND commitment IN :keys
                ORDER BY block_number, log_index""", chain_id, keys):
            if event == "recorded":
                state[commitment] = [chain_id, commitment, project, enterprise, kind, due_at, block, status, False]
            elif commitment not in state:
                continue  # its record was orphaned by a reorg along with it
            c = state[commitment]
            c[7] = status
            if due_at is not None:
                c[5] = due_at
            if event == "fulfilled":
                c[8] = bool(late)
            c[9:] = [block, index, block_hash, tx_hash]
        insert_rows(conn, "commitments", COMMITMENT_COLUMNS, [tuple(c) for c in state.values()])


def refresh_summaries(conn: Connection, chain_id: int, enterprises: set[str],
                      latest: dict[str, tuple] | None = None) -> None:
    """Recount the summaries of `enterprises`; `latest` gives each one's newest proof when the
    caller knows it (a live batch), else it is looked up (after a reorg)."""
    counted = {"recorded": 2, "fulfilled": 3, "marked_overdue": 5, "breached": 6, "repaired": 7}
    for keys in chunked(enterprises):
        query_in(conn, "DELETE FROM enterprise_commitment_summaries WHERE chain_id = :chain_id AND enterprise IN :keys",
               chain_id, keys)
        summaries: dict[str, list] = {}
        for enterprise, event, count, late in query_in(conn, """
                SELECT enterprise, event, COUNT(*), SUM(CASE WHEN late THEN 1 ELSE 0 END) FROM commitment_events
                WHERE chain_id = :chain_id AND enterprise IN :keys GROUP BY enterprise, event""", chain_id, keys):
            s = summaries.setdefault(enterprise, [chain_id, enterprise, 0, 0, 0, 0, 0, 0])
            if event in counted:
                s[counted[event]] = count
            if event == "fulfilled":
                s[4] = int(late or 0)
        proofs = latest if latest is not None else _latest_proofs(conn, chain_id, keys, "commitment_events", "enterprise")
        insert_rows(conn, "enterprise_commitment_summaries", SUMMARY_COLUMNS,
                    [tuple(s) + proofs[enterprise] for enterprise, s in summaries.items()])
