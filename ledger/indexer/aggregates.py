"""Aggregates of the read model: fee accounts, commitments and enterprise summaries.

Fee accounts and enterprise summaries are folded incrementally: a batch reads the stored rows
of the keys it touched, applies its own events and writes them back, so its cost does not grow
with a project's or an enterprise's history. After a reorg the same folds run over every
remaining event of the keys it touched. Commitments (a handful of events each) are recomputed
from their history rows. Tests check that a rewound read model equals a fresh re-index.

Every aggregate row carries the proof of the latest event that changed its values.
"""

from collections.abc import Iterable, Iterator

from sqlalchemy import Connection, bindparam, text

from ledger.db.bulk import insert_rows
from ledger.db.read_model import read_sql
from ledger.indexer.projector import COUNTED, SummaryChange

CHUNK = 500
FULL_RELIEF_BPS = 10_000

PROOF_COLUMNS = ("block_number", "log_index", "block_hash", "transaction_hash")
# The fold's account: these values, then the latest proof.
FEE_ACCOUNT_VALUES = (
    "payer",
    "district",
    "rate_table_version",
    "revision",
    "relief_bps",
    "base_fen",
    "adjustment_fen",
    "due_fen",
    "due_at",
    "paid_fen",
    "refunded_fen",
    "refund_owed_fen",
    "assessed_at",
    "over_refunded_fen",
)
FEE_ACCOUNT_COLUMNS = ("chain_id", "project", *FEE_ACCOUNT_VALUES, "status", *PROOF_COLUMNS)
COMMITMENT_COLUMNS = (
    "chain_id",
    "commitment",
    "project",
    "enterprise",
    "kind",
    "status",
    "fulfilled_late",
    "extensions",
    "signed_at",
    "due_at",
    "evidence_submitted_at",
    "decided_at",
    "recorded_block",
    "recorded_at",
    "overdue_at",
    *PROOF_COLUMNS,
)
COUNTERS = ("recorded", "fulfilled", "fulfilled_late", "overdue", "breached", "repaired")
SUMMARY_COLUMNS = ("chain_id", "enterprise", *COUNTERS, *PROOF_COLUMNS)
VALUES = len(FEE_ACCOUNT_VALUES)  # the fold's account: its values, then the latest proof
(
    PAYER,
    DISTRICT,
    VERSION,
    REVISION,
    RELIEF,
    BASE,
    ADJUSTMENT,
    DUE,
    DUE_AT,
    PAID,
    REFUNDED,
    OWED,
    ASSESSED_AT,
    OVER_REFUNDED,
) = range(VALUES)


def chunked(keys: Iterable[str]) -> Iterator[list[str]]:
    keys = sorted(keys)
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


def query_in(conn: Connection, sql: str, chain_id: int, keys: list[str]):
    reads = sql.lstrip().startswith("SELECT")  # reads come back exact (Uint64 columns); deletes are plain
    statement = (read_sql(sql) if reads else text(sql)).bindparams(bindparam("keys", expanding=True))
    return conn.execute(statement, {"chain_id": chain_id, "keys": keys})


# -- fee accounts ---------------------------------------------------------------------------------------


def due_of(base: int, relief_bps: int, adjustment: int) -> int:
    """FeeLedger._dueOf: max(0, base − round_half_up(base × relief / 10,000) + adjustment)."""
    relief = (base * relief_bps + FULL_RELIEF_BPS // 2) // FULL_RELIEF_BPS
    return max(0, base - relief + adjustment)


def fee_status(base: int, due: int, net: int) -> str:
    """FeeLedger._status for an assessed account (a net below zero, refunded beyond paid, counts as zero)."""
    net = max(0, net)
    if net > due:
        return "overpaid"
    if due == 0:
        return "nothing_owed" if base == 0 else "exempt"
    if net == 0:
        return "assessed"
    return "partially_paid" if net < due else "paid"


def fold_fee_event(account: list | None, event: str, args: dict, proof: tuple) -> list:
    """The account (FEE_ACCOUNT_VALUES, then the latest proof) after one event."""
    if event == "AccountImported":
        due = args["dueFen"]
        if due is None:  # a v2 event: the contract's rule
            due = due_of(args["baseFen"], args["reliefBps"], args["adjustmentFen"])
        owed = max(0, args["paidFen"] - args["refundedFen"] - due)
        account = [
            args["payer"],
            args["district"],
            args["rateTableVersion"],
            args["revision"],
            args["reliefBps"],
            args["baseFen"],
            args["adjustmentFen"],
            due,
            args["dueAt"],
            args["paidFen"],
            args["refundedFen"],
            owed,
            args["assessedAt"],
            0,
        ]
    elif event == "FeeAssessed":
        if account is None:
            account = [None, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, args["assessedAt"], 0]  # the first assessment's fact time
        account[PAYER], account[DISTRICT], account[VERSION] = args["payer"], args["district"], args["rateTableVersion"]
        account[REVISION], account[BASE], account[DUE] = args["revision"], args["baseFen"], args["dueFen"]
        account[DUE_AT] = args["dueAt"]
    elif account is None:  # every other event follows the account's first one, as the contract orders them
        raise ValueError(f"{event} of a fee account that was never assessed or imported")
    elif event == "FeeReliefSet":
        account[RELIEF], account[DUE] = args["reliefBps"], args["dueFen"]
    elif event == "FeeAdjusted":
        account[ADJUSTMENT] += args["deltaFen"]
        account[DUE] = args["dueFen"]
    elif event == "PaymentRecorded":
        account[PAID] += args["amountFen"]
    elif event == "RefundRecorded":
        account[REFUNDED] += args["amountFen"]
    elif event == "OverRefundFlagged":
        account[OVER_REFUNDED] = args["overRefundedFen"]
    elif event == "RefundOwedChanged":
        account[OWED] = args["owedFen"]
    account[VALUES:] = proof[1:]
    return account


def _write_fee_accounts(conn: Connection, chain_id: int, keys: list[str], accounts: dict[str, list]) -> None:
    query_in(conn, "DELETE FROM fee_accounts WHERE chain_id = :chain_id AND project IN :keys", chain_id, keys)
    insert_rows(
        conn,
        "fee_accounts",
        FEE_ACCOUNT_COLUMNS,
        [
            (chain_id, project, *a[:VALUES], fee_status(a[BASE], a[DUE], a[PAID] - a[REFUNDED]), *a[VALUES:])
            for project, a in accounts.items()
        ],
    )


def apply_fee_changes(conn: Connection, chain_id: int, changes: list[tuple]) -> None:
    """Fold a batch's fee events into the stored accounts of the projects they touch."""
    projects = {project for project, *_ in changes}
    for keys in chunked(projects):
        accounts = {
            row[0]: list(row[1:])
            for row in query_in(
                conn,
                f"""
            SELECT project, {", ".join(FEE_ACCOUNT_VALUES)}, {", ".join(PROOF_COLUMNS)}
            FROM fee_accounts WHERE chain_id = :chain_id AND project IN :keys""",
                chain_id,
                keys,
            )
        }
        wanted = set(keys)
        for project, event, args, proof in changes:
            if project in wanted:
                accounts[project] = fold_fee_event(accounts.get(project), event, args, proof)
        _write_fee_accounts(conn, chain_id, keys, accounts)


# The remaining events of a project, table by table, as the fold's (event, args).
_FEE_HISTORY = (
    (
        "FeeAssessed",
        "SELECT project, block_number, log_index, block_hash, transaction_hash, payer, district, "
        "rate_table_version, revision, base_fen, due_fen, assessed_at, due_at FROM fee_assessments",
        ("payer", "district", "rateTableVersion", "revision", "baseFen", "dueFen", "assessedAt", "dueAt"),
    ),
    (
        "FeeReliefSet",
        "SELECT project, block_number, log_index, block_hash, transaction_hash, relief_bps, due_fen FROM fee_reliefs",
        ("reliefBps", "dueFen"),
    ),
    (
        "FeeAdjusted",
        "SELECT project, block_number, log_index, block_hash, transaction_hash, delta_fen, due_fen "
        "FROM fee_adjustments",
        ("deltaFen", "dueFen"),
    ),
    (
        "PaymentRecorded",
        "SELECT project, block_number, log_index, block_hash, transaction_hash, amount_fen "
        "FROM payments WHERE NOT imported AND",
        ("amountFen",),
    ),
    (
        "RefundRecorded",
        "SELECT project, block_number, log_index, block_hash, transaction_hash, amount_fen "
        "FROM refunds WHERE NOT imported AND",
        ("amountFen",),
    ),
    (
        "OverRefundFlagged",
        "SELECT project, block_number, log_index, block_hash, transaction_hash, over_refunded_fen FROM over_refunds",
        ("overRefundedFen",),
    ),
    (
        "RefundOwedChanged",
        "SELECT project, block_number, log_index, block_hash, transaction_hash, owed_fen FROM refund_owed_changes",
        ("owedFen",),
    ),
    (
        "AccountImported",
        "SELECT project, block_number, log_index, block_hash, transaction_hash, payer, district, "
        "rate_table_version, revision, relief_bps, base_fen, adjustment_fen, due_fen, paid_fen, refunded_fen, "
        "assessed_at, due_at FROM fee_account_imports",
        (
            "payer",
            "district",
            "rateTableVersion",
            "revision",
            "reliefBps",
            "baseFen",
            "adjustmentFen",
            "dueFen",
            "paidFen",
            "refundedFen",
            "assessedAt",
            "dueAt",
        ),
    ),
)


def refresh_fee_accounts(conn: Connection, chain_id: int, projects: set[str]) -> None:
    """Recompute accounts from every remaining fee event of `projects` (after a reorg)."""
    for keys in chunked(projects):
        history = []
        for event, select, names in _FEE_HISTORY:
            where = " " if select.endswith(" AND") else " WHERE "
            for project, block, index, block_hash, tx_hash, *values in query_in(
                conn, f"{select}{where}chain_id = :chain_id AND project IN :keys", chain_id, keys
            ):
                history.append(
                    (
                        (block, index),
                        project,
                        event,
                        dict(zip(names, values)),
                        (chain_id, block, index, block_hash, tx_hash),
                    )
                )
        history.sort(key=lambda entry: entry[0])
        accounts: dict[str, list] = {}
        for _, project, event, args, proof in history:
            accounts[project] = fold_fee_event(accounts.get(project), event, args, proof)
        _write_fee_accounts(conn, chain_id, keys, accounts)


# -- commitments ------------------------------------------------------------------------------------------


def refresh_commitments(conn: Connection, chain_id: int, commitments: set[str]) -> None:
    """Recompute the commitments from their history rows."""
    for keys in chunked(commitments):
        query_in(conn, "DELETE FROM commitments WHERE chain_id = :chain_id AND commitment IN :keys", chain_id, keys)
        state: dict[str, dict] = {}
        for (
            commitment,
            enterprise,
            project,
            kind,
            event,
            status,
            due_at,
            fact_at,
            late,
            extensions,
            *imported,
            block_time,
            block,
            index,
            block_hash,
            tx_hash,
        ) in query_in(
            conn,
            """
                SELECT e.commitment, e.enterprise, e.project, e.kind, e.event, e.status, e.due_at, e.fact_at, e.late,
                       e.extensions, e.recorded_at, e.overdue_at, e.evidence_submitted_at, e.decided_at, t.timestamp,
                       e.block_number, e.log_index, e.block_hash, e.transaction_hash
                FROM commitment_events e
                LEFT JOIN block_times t ON t.chain_id = e.chain_id AND t.block_number = e.block_number
                WHERE e.chain_id = :chain_id AND e.commitment IN :keys
                ORDER BY e.block_number, e.log_index""",
            chain_id,
            keys,
        ):
            recorded_at, overdue_at, evidence_at, decided_at = imported
            if event in ("recorded", "imported"):
                # an import from v3 on carries the earlier version's times; from v2, it becomes known here
                state[commitment] = dict(
                    chain_id=chain_id,
                    commitment=commitment,
                    project=project,
                    enterprise=enterprise,
                    kind=kind,
                    status=status,
                    fulfilled_late=bool(late),
                    extensions=extensions or 0,
                    signed_at=fact_at,
                    due_at=due_at,
                    evidence_submitted_at=evidence_at or 0,
                    decided_at=decided_at or 0,
                    recorded_block=block,
                    recorded_at=(block_time or 0) if recorded_at is None else recorded_at,
                    overdue_at=overdue_at or 0,
                )
            elif commitment not in state:
                continue  # its record was orphaned by a reorg along with it
            c = state[commitment]
            if status is not None:
                c["status"] = status
            if event == "evidence_submitted":
                pending = c["evidence_submitted_at"]
                c["evidence_submitted_at"] = fact_at if pending == 0 else min(pending, fact_at)
            elif event == "evidence_rejected":
                c["evidence_submitted_at"] = 0
            elif event == "fulfilled":
                c.update(fulfilled_late=bool(late), decided_at=fact_at, evidence_submitted_at=0)
            elif event == "repaired":
                c["decided_at"] = fact_at
            elif event == "extended":
                c.update(due_at=due_at, extensions=extensions)
            elif event == "marked_overdue":
                c["overdue_at"] = block_time or 0
            c.update(block_number=block, log_index=index, block_hash=block_hash, transaction_hash=tx_hash)
        insert_rows(
            conn,
            "commitments",
            COMMITMENT_COLUMNS,
            [tuple(c[column] for column in COMMITMENT_COLUMNS) for c in state.values()],
        )


# -- enterprise summaries -----------------------------------------------------------------------------------


def _write_summaries(conn: Connection, chain_id: int, keys: list[str], summaries: dict[str, SummaryChange]) -> None:
    query_in(
        conn,
        "DELETE FROM enterprise_commitment_summaries WHERE chain_id = :chain_id AND enterprise IN :keys",
        chain_id,
        keys,
    )
    insert_rows(
        conn,
        "enterprise_commitment_summaries",
        SUMMARY_COLUMNS,
        [(chain_id, enterprise, *s.counts, *s.proof) for enterprise, s in summaries.items()],
    )


def apply_summary_changes(conn: Connection, chain_id: int, changes: dict[str, SummaryChange]) -> None:
    """Add a batch's counter changes to the stored summaries: the cost depends on the batch, not
    on how long the enterprises' histories are."""
    for keys in chunked(changes):
        stored = {
            row[0]: SummaryChange(list(row[1:7]), tuple(row[7:]))
            for row in query_in(
                conn,
                f"""
            SELECT enterprise, {", ".join(COUNTERS)}, {", ".join(PROOF_COLUMNS)}
            FROM enterprise_commitment_summaries WHERE chain_id = :chain_id AND enterprise IN :keys""",
                chain_id,
                keys,
            )
        }
        for enterprise in keys:
            stored.setdefault(enterprise, SummaryChange()).add(changes[enterprise])
        _write_summaries(conn, chain_id, keys, stored)


def recount_summaries(conn: Connection, chain_id: int, enterprises: set[str]) -> None:
    """Recount the summaries of `enterprises` from every remaining event (after a reorg)."""
    for keys in chunked(enterprises):
        history = []
        for enterprise, event, late, block, index, block_hash, tx_hash in query_in(
            conn,
            f"""
                SELECT enterprise, event, late, {", ".join(PROOF_COLUMNS)} FROM commitment_events
                WHERE chain_id = :chain_id AND enterprise IN :keys
                AND event IN ('recorded', 'fulfilled', 'marked_overdue', 'breached', 'repaired')""",
            chain_id,
            keys,
        ):
            counts = [0] * 6
            counts[COUNTED[event]] = 1
            if event == "fulfilled" and late:
                counts[2] = 1
            history.append(((block, index), enterprise, counts, (block, index, block_hash, tx_hash)))
        for enterprise, *counts, block, index, block_hash, tx_hash in query_in(
            conn,
            f"""
                SELECT enterprise, {", ".join(COUNTERS)}, {", ".join(PROOF_COLUMNS)} FROM enterprise_counter_imports
                WHERE chain_id = :chain_id AND enterprise IN :keys""",
            chain_id,
            keys,
        ):
            history.append(((block, index), enterprise, counts, (block, index, block_hash, tx_hash)))
        history.sort(key=lambda entry: entry[0])
        summaries: dict[str, SummaryChange] = {}
        for _, enterprise, counts, proof in history:
            summaries.setdefault(enterprise, SummaryChange()).add(SummaryChange(counts, proof))
        _write_summaries(conn, chain_id, keys, summaries)
