"""The regulator's other views (read-only, from the read model, every row with its proof):
commitments that are overdue or breached, the money trail of one project, and the fees collected
by district and by month."""

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.core.identifiers import DISTRICTS, InvalidIdentifier, validate_project_code
from ledger.db.read_model import BLOCK_TIME_JOIN, PROOF_WITH_BLOCK_TIME, read_sql
from ledger.db.write_model import CommitmentRecord, Enterprise, PaymentConfirmation, Project, RefundRequest
from ledger.domain.common import (
    SHANGHAI,
    decode_key_cursor,
    encode_key_cursor,
    from_unix,
    names_of,
    project_key_hex,
    proof_with_block_time,
    read_model_chain_id,
    reference_key_hex,
)
from ledger.domain.errors import NotFound, ValidationFailed
from ledger.domain.schemas.regulator import (
    CollectionPublic,
    CollectionRow,
    CommitmentAlertPage,
    CommitmentAlertPublic,
    FeeAccountPublic,
    MoneyEntryPublic,
    MoneyTrailPublic,
)

ALERT_STATUSES = ("overdue", "breached")
# the history event that puts a commitment in each alert status
STATUS_EVENT = {"overdue": "marked_overdue", "breached": "breached"}


def commitments_in_trouble(
    session: Session, *, status: str | None = None, cursor: str | None = None, limit: int = 100
) -> CommitmentAlertPage:
    """Overdue and breached commitments (or one of the two), by commitment key, each with the
    proof of the event that put it there."""
    if status is not None and status not in ALERT_STATUSES:
        raise ValidationFailed("status must be overdue or breached", field="status", rule="one_of")
    after = decode_key_cursor(cursor, "commitment")
    chain_id = read_model_chain_id(session)
    if chain_id is None:
        return CommitmentAlertPage(items=[], next_cursor=None)
    statuses = [status] if status else list(ALERT_STATUSES)
    rows = session.execute(
        read_sql(
            "SELECT commitment, project, enterprise, kind, status, due_at FROM commitments "
            "WHERE chain_id = :c AND status IN :statuses AND commitment > :after ORDER BY commitment LIMIT :limit"
        ).bindparams(_expanding("statuses")),
        {"c": chain_id, "statuses": statuses, "after": after, "limit": limit},
    ).all()
    proofs = {}
    if rows:
        for commitment, event, *proof in session.execute(
            read_sql(
                f"SELECT e.commitment, e.event, {PROOF_WITH_BLOCK_TIME} FROM commitment_events e {BLOCK_TIME_JOIN} "
                "WHERE e.chain_id = :c AND e.commitment IN :keys AND e.event IN ('marked_overdue', 'breached') "
                "ORDER BY e.block_number, e.log_index"
            ).bindparams(_expanding("keys")),
            {"c": chain_id, "keys": [r[0] for r in rows]},
        ):
            proofs[commitment, event] = proof  # the latest one wins
    numbers = names_of(
        session, col(CommitmentRecord.commitment_key), col(CommitmentRecord.commitment_number), [r[0] for r in rows]
    )
    codes = names_of(session, col(Project.project_key), col(Project.project_code), [r[1] for r in rows])
    usccs = names_of(session, col(Enterprise.enterprise_key), col(Enterprise.uscc), [r[2] for r in rows])
    items = [
        CommitmentAlertPublic(
            commitment_key=key,
            commitment_number=numbers.get(key),
            project_key=project,
            project_code=codes.get(project),
            enterprise_key=enterprise,
            uscc=usccs.get(enterprise),
            kind=kind,
            status=state,
            due_at=from_unix(due_at),
            proof=proof_with_block_time(*proofs[key, STATUS_EVENT[state]]),
        )
        for key, project, enterprise, kind, state, due_at in rows
    ]
    next_cursor = encode_key_cursor("commitment", rows[-1][0]) if len(rows) == limit else None
    return CommitmentAlertPage(items=items, next_cursor=next_cursor)


def _expanding(name: str):
    return bindparam(name, expanding=True)


# (kind, SQL of its rows: values then the proof) for the money trail of one project
_MONEY = (
    ("assessed", "SELECT base_fen, due_fen, NULL, NULL, due_at, NULL, basis_hash, {proof} FROM fee_assessments e"),
    ("relief", "SELECT 0, due_fen, relief_bps, reason, NULL, NULL, document_hash, {proof} FROM fee_reliefs e"),
    ("adjusted", "SELECT delta_fen, due_fen, NULL, reason, NULL, NULL, document_hash, {proof} FROM fee_adjustments e"),
    ("payment", "SELECT amount_fen, NULL, NULL, voucher, paid_at, late, NULL, {proof} FROM payments e"),
    ("refund", "SELECT amount_fen, NULL, NULL, refund_ref, refunded_at, NULL, NULL, {proof} FROM refunds e"),
)


def money_trail(session: Session, *, project_code: str) -> MoneyTrailPublic:
    """Every assessment, relief, adjustment, payment and refund of a project, in chain order, each
    with its proof, and the account they add up to."""
    try:
        project_code = validate_project_code(project_code)  # the canonical form: keys and rows use it
    except InvalidIdentifier as exc:
        raise ValidationFailed(exc.rule, field="project_code", rule="project_code") from None
    key = project_key_hex(project_code)
    chain_id = read_model_chain_id(session)
    account = None
    entries: list[tuple[tuple[int, int], MoneyEntryPublic]] = []
    if chain_id is not None:
        account = session.execute(
            read_sql(
                "SELECT status, due_fen, paid_fen, refunded_fen, refund_owed_fen, chain_id, block_number, log_index, "
                "block_hash, transaction_hash FROM fee_accounts WHERE chain_id = :c AND project = :p"
            ),
            {"c": chain_id, "p": key},
        ).first()
        references = {
            reference_key_hex(n): n
            for n in session.execute(
                select(col(PaymentConfirmation.voucher_number)).where(
                    col(PaymentConfirmation.project_code) == project_code
                )
            ).scalars()
        }
        references |= {
            reference_key_hex(n): n
            for n in session.execute(
                select(col(RefundRequest.refund_reference)).where(col(RefundRequest.project_code) == project_code)
            ).scalars()
        }
        for kind, sql in _MONEY:
            for amount, due_after, bps, reference, at, late, document, *proof in session.execute(
                read_sql(
                    sql.format(proof=PROOF_WITH_BLOCK_TIME) + f" {BLOCK_TIME_JOIN} "
                    "WHERE e.chain_id = :c AND e.project = :p"
                ),
                {"c": chain_id, "p": key},
            ):
                keyed = kind in ("payment", "refund")
                entries.append(
                    (
                        (proof[1], proof[2]),
                        MoneyEntryPublic(
                            kind=kind,
                            amount_fen=amount,
                            due_fen_after=due_after,
                            relief_bps=bps,
                            reference=references.get(reference) if keyed else reference,
                            reference_key=reference if keyed else None,
                            at=from_unix(at),
                            late=None if late is None else bool(late),
                            document_hash=document,
                            proof=proof_with_block_time(*proof),
                        ),
                    )
                )
    known = session.execute(select(col(Project.project_code)).where(col(Project.project_code) == project_code)).first()
    if account is None and not entries and not known:
        raise NotFound(f"no project {project_code} in the ledger", field="project_code", rule="exists")
    account_public = None
    if account is not None:
        block_time = session.execute(
            read_sql("SELECT timestamp FROM block_times WHERE chain_id = :c AND block_number = :n"),
            {"c": account[5], "n": account[6]},
        ).scalar()
        account_public = FeeAccountPublic(
            status=account[0],
            due_fen=account[1],
            paid_fen=account[2],
            refunded_fen=account[3],
            refund_owed_fen=account[4],
            proof=proof_with_block_time(
                account.chain_id,
                account.block_number,
                account.log_index,
                account.block_hash,
                account.transaction_hash,
                block_time,
            ),
        )
    return MoneyTrailPublic(
        project_code=project_code,
        project_key=key,
        account=account_public,
        entries=[entry for _, entry in sorted(entries, key=lambda item: item[0])],
    )


def collection(session: Session) -> CollectionPublic:
    """Fees collected (payments on chain, less refunds) by district and by month (Asia/Shanghai, by
    the payment's or refund's date), from the read model."""
    chain_id = read_model_chain_id(session)
    by_district: dict[str, int] = {}
    by_month: dict[str, int] = {}
    if chain_id is not None:
        rows = [
            (project, amount, at)
            for project, amount, at in session.execute(
                read_sql("SELECT project, amount_fen, paid_at FROM payments WHERE chain_id = :c"), {"c": chain_id}
            )
        ]
        rows += [
            (project, -amount, at)
            for project, amount, at in session.execute(
                read_sql("SELECT project, amount_fen, refunded_at FROM refunds WHERE chain_id = :c"), {"c": chain_id}
            )
        ]
        codes = names_of(session, col(Project.project_key), col(Project.project_code), {r[0] for r in rows})
        for project, amount, at in rows:
            code = codes.get(project)
            district = code.split("-")[1] if code else "unknown"
            month = from_unix(at).astimezone(SHANGHAI).strftime("%Y-%m")
            by_district[district] = by_district.get(district, 0) + amount
            by_month[month] = by_month.get(month, 0) + amount
    return CollectionPublic(
        by_district=[
            CollectionRow(key=d, label=DISTRICTS.get(d, "未登记项目"), amount_fen=by_district[d])
            for d in sorted(by_district)
        ],
        by_month=[CollectionRow(key=m, label=m, amount_fen=by_month[m]) for m in sorted(by_month)],
    )


def fee_statuses(session: Session, *, project_keys: list[str]) -> dict[str, FeeAccountPublic]:
    """The fee accounts of these projects (on-chain key → account with its proof), for lists."""
    chain_id = read_model_chain_id(session)
    if chain_id is None or not project_keys:
        return {}
    rows = session.execute(
        read_sql(
            "SELECT e.project, e.status, e.due_fen, e.paid_fen, e.refunded_fen, e.refund_owed_fen, "
            f"{PROOF_WITH_BLOCK_TIME} FROM fee_accounts e {BLOCK_TIME_JOIN} "
            "WHERE e.chain_id = :c AND e.project IN :keys"
        ).bindparams(_expanding("keys")),
        {"c": chain_id, "keys": project_keys},
    )
    return {
        key: FeeAccountPublic(
            status=status,
            due_fen=due,
            paid_fen=paid,
            refunded_fen=refunded,
            refund_owed_fen=owed,
            proof=proof_with_block_time(*proof),
        )
        for key, status, due, paid, refunded, owed, *proof in rows
    }
