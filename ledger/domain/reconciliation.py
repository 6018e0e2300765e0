"""Three-way reconciliation (对账): what the approval system told us ↔ the tax system's statements ↔ the
chain ↔ the read model. Daily (the worker, when the last run is LEDGER_RECONCILIATION_HOURS old) and on
demand (`ledger reconcile`, or the regulator's button, which asks the worker for a run).

Findings, by kind:

* approved_unsecured — a project past approval (construction, acceptance, completed) whose shelter is
  not built (a shortfall, or no passed acceptance), whose fee is not settled on chain, and which holds
  no open (or overdue: counted as such already) shelter_build or fee_payment commitment on chain (nor
  one on its way there), nor a fulfilled shelter_build one (the shelter was built and accepted);
* payment_missing_on_chain — a voucher on the tax system's statement the chain does not hold (and none
  of our commands is still carrying it there);
* payment_not_in_statement — a payment on chain on a day the tax system sent a statement for, which
  that statement does not list;
* amount_mismatch — a voucher whose amount differs between the statement and the chain;
* overdue_unmarked — an open commitment past its due date and the registry's grace period by more
  than the slack the sweep is given, not marked overdue and with no mark on its way;
* read_model_differs — a read-model table whose rows differ from the chain's, found by the regulator's
  audit (ledger.audit.verify), which the caller runs and hands in (the domain does not rebuild).

The chain's side of a voucher or commitment is the read model's row of its event; the audit is what
proves that the read model is the chain's. Each finding keeps the transaction hashes that prove it.
"""

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

import orjson
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.engine import snapshot_reads
from ledger.db.read_model import Commitment as CommitmentView
from ledger.db.read_model import FeeAccount, Payment
from ledger.db.supervision_model import ReconciliationFinding, ReconciliationRun, TaxStatementLine
from ledger.db.write_model import CommitmentRecord, OutboxCommand, PaymentConfirmation, Project
from ledger.domain.commitments import overdue_unmarked
from ledger.domain.common import day_bounds, from_unix, read_model_chain_id, reference_key_hex
from ledger.domain.errors import NotFound
from ledger.domain.rates import shortfall
from ledger.domain.schemas.regulator import ReconciliationFindingPublic, ReconciliationRunPublic

KINDS = (
    "approved_unsecured",
    "payment_missing_on_chain",
    "payment_not_in_statement",
    "amount_mismatch",
    "overdue_unmarked",
    "read_model_differs",
)
APPROVED_STAGES = ("construction", "acceptance", "completed")
SETTLED = ("paid", "overpaid", "exempt", "nothing_owed")
OPEN = ("recorded", "extended")
# A commitment that still binds its project: open, or marked overdue (still open on chain, and already
# counted as overdue: the regulator's alerts, the credit record), so its project is not unsecured too.
HOLDING = (*OPEN, "overdue")
IN_FLIGHT = ("accepted", "submitted", "mined")


class TableDifference(Protocol):
    """What the audit reports of one read-model table (ledger.audit.compare.TableDiff)."""

    table: str
    missing: int
    extra: int
    changed: int
    examples: list[str]

    @property
    def equal(self) -> bool: ...


# The audit, run by the caller: the tables it compared, or raises when it cannot run (the node is down).
ReadModelAudit = Callable[[], Sequence[TableDifference]]


@dataclass
class Finding:
    kind: str
    subject: str
    detail: str
    project_code: str | None = None
    proofs: list[str] = field(default_factory=list)


# --- runs ------------------------------------------------------------------------------------


def request_reconciliation(session: Session, *, actor: str) -> int:
    """Ask the worker for a run now (the regulator's button); a request already waiting is reused."""
    waiting = session.execute(
        select(col(ReconciliationRun.id)).where(col(ReconciliationRun.status) == "requested")
    ).scalar()
    if waiting is not None:
        return waiting
    run = _new_run(session, trigger="on_demand", requested_by=actor, status="requested")
    assert run.id is not None  # assigned by the flush
    return run.id


STALE_RUN_SECONDS = 6 * 3600.0  # a worker run not finished in this long lost its worker: it is closed as failed


def due_run(
    session: Session, *, every_seconds: float, now: float | None = None, stale_after_seconds: float = STALE_RUN_SECONDS
) -> ReconciliationRun | None:
    """Claim the run the worker should make now (status `running`): the oldest requested, else a daily
    one when the last run started that long ago; None when none is due or another worker runs one.
    A worker runs one at a time (a partial unique index): of two beat ticks at once, the second's
    claim conflicts, and the session is rolled back (call this first in its transaction). A run still
    `running` after `stale_after_seconds` lost its worker (killed): it is closed as failed first."""
    now = now or time.time()
    session.execute(
        update(ReconciliationRun)
        .where(
            col(ReconciliationRun.status) == "running",
            col(ReconciliationRun.trigger).in_(["daily", "on_demand"]),
            func.coalesce(col(ReconciliationRun.started_at), col(ReconciliationRun.requested_at))
            < now - stale_after_seconds,
        )
        .values(
            status="failed",
            finished_at=now,
            error=f"its worker was lost: not finished within {stale_after_seconds:g} s",
        )
    )
    requested = session.execute(
        select(col(ReconciliationRun.id))
        .where(col(ReconciliationRun.status) == "requested")
        .order_by(col(ReconciliationRun.id))
    ).scalar()
    try:
        if requested is None:
            last = session.execute(select(func.max(col(ReconciliationRun.requested_at)))).scalar()
            if last is not None and now - last < every_seconds:
                return None
            return _new_run(session, trigger="daily", requested_by="worker", status="running", now=now)
        claimed = session.execute(  # one conditional UPDATE: of two workers at once, one claims it
            update(ReconciliationRun)
            .where(col(ReconciliationRun.id) == requested, col(ReconciliationRun.status) == "requested")
            .values(status="running", started_at=now)
            .returning(col(ReconciliationRun.id))
        ).scalar()
    except IntegrityError:  # another worker's run is running
        session.rollback()
        return None
    return None if claimed is None else session.get(ReconciliationRun, claimed)


def _new_run(
    session: Session, *, trigger: str, requested_by: str, status: str, now: float | None = None
) -> ReconciliationRun:
    now = now or time.time()
    run = ReconciliationRun(
        trigger=trigger,
        requested_by=requested_by,
        status=status,
        requested_at=now,
        started_at=now if status == "running" else None,
    )
    session.add(run)
    session.flush()
    return run


def reconcile(
    session: Session,
    *,
    now: int,
    sweep_slack_seconds: float,
    audit: ReadModelAudit | None,
    run: ReconciliationRun | None = None,
    trigger: str = "cli",
    requested_by: str = "cli",
) -> int:
    """Run every check, store the findings with their counts under `run` (or a new run), return its id.
    `now` is the chain's time; `audit` None leaves the read model unchecked (said in the run's record)."""
    if run is None:
        run = _new_run(session, trigger=trigger, requested_by=requested_by, status="running")
    assert run.id is not None
    findings: list[Finding] = []
    checked: dict[str, int | str] = {}
    with _one_snapshot(session) as reading:
        chain_id = read_model_chain_id(reading)
        findings += _approved_unsecured(reading, chain_id, checked)
        findings += _statements_against_chain(reading, chain_id, checked)
        findings += _overdue_unmarked(reading, chain_id, now - int(sweep_slack_seconds), checked)
    findings += _read_model(audit, checked)
    for f in findings:
        session.add(
            ReconciliationFinding(
                run_id=run.id,
                kind=f.kind,
                subject=f.subject,
                project_code=f.project_code,
                detail=f.detail,
                proofs=orjson.dumps(f.proofs).decode(),
            )
        )
    counts = {kind: sum(1 for f in findings if f.kind == kind) for kind in KINDS}
    run.status, run.finished_at = "done", time.time()
    run.counts, run.checked = orjson.dumps(counts).decode(), orjson.dumps(checked).decode()
    session.flush()
    return run.id


@contextmanager
def _one_snapshot(session: Session) -> Iterator[Session]:
    """Every check reads one moment of the database: an indexer or writer committing between two of
    its reads must not make a transient finding. PostgreSQL: a transaction of its own, REPEATABLE
    READ and READ ONLY; SQLite (WAL): one deferred transaction, which reads one snapshot from its
    first read on."""
    engine = session.get_bind().engine
    with Session(snapshot_reads(engine)) as reading:
        if engine.dialect.name == "sqlite":
            reading.connection().exec_driver_sql("BEGIN")
        try:
            yield reading
        finally:
            reading.rollback()


def fail_run(session: Session, *, run: ReconciliationRun, error: str) -> None:
    run.status, run.finished_at, run.error = "failed", time.time(), error[:500]
    session.flush()


def latest_run(session: Session) -> ReconciliationRunPublic | None:
    """The newest finished run (done or failed), or None before the first."""
    run = (
        session.execute(
            select(ReconciliationRun)
            .where(col(ReconciliationRun.status).in_(["done", "failed"]))
            .order_by(col(ReconciliationRun.id).desc())
        )
        .scalars()
        .first()
    )
    return None if run is None else _public(session, run)


def get_run(session: Session, *, run_id: int) -> ReconciliationRunPublic:
    run = session.get(ReconciliationRun, run_id)
    if run is None:
        raise NotFound(f"no reconciliation run {run_id}", field="run_id", rule="known_run")
    return _public(session, run)


def run_findings(session: Session, *, run_id: int, kind: str | None = None) -> list[ReconciliationFindingPublic]:
    query = select(ReconciliationFinding).where(col(ReconciliationFinding.run_id) == run_id)
    if kind is not None:
        query = query.where(col(ReconciliationFinding.kind) == kind)
    rows = session.execute(query.order_by(col(ReconciliationFinding.id))).scalars().all()
    return [
        ReconciliationFindingPublic(
            kind=r.kind,
            subject=r.subject,
            project_code=r.project_code,
            detail=r.detail,
            proofs=orjson.loads(r.proofs),
        )
        for r in rows
    ]


def _public(session: Session, run: ReconciliationRun) -> ReconciliationRunPublic:
    assert run.id is not None
    counts = orjson.loads(run.counts)
    return ReconciliationRunPublic(
        run_id=run.id,
        trigger=run.trigger,
        requested_by=run.requested_by,
        status=run.status,
        requested_at=from_unix(run.requested_at),
        finished_at=from_unix(run.finished_at),
        counts={kind: counts.get(kind, 0) for kind in KINDS},
        total=sum(counts.values()),
        checked=orjson.loads(run.checked),
        error=run.error,
        waiting=session.execute(select(func.count()).where(col(ReconciliationRun.status) == "requested")).scalar_one(),
    )


# --- the checks ------------------------------------------------------------------------------


def _approved_unsecured(session: Session, chain_id: int | None, checked: dict) -> list[Finding]:
    projects = (
        session.execute(
            select(Project).where(col(Project.stage).in_(APPROVED_STAGES)).order_by(col(Project.project_code))
        )
        .scalars()
        .all()
    )
    checked["approved_projects"] = len(projects)
    keys = [p.project_key for p in projects]
    accounts = (
        {
            a.project: a
            for a in session.execute(
                select(FeeAccount).where(col(FeeAccount.chain_id) == chain_id, col(FeeAccount.project).in_(keys))
            ).scalars()
        }
        if chain_id is not None and keys
        else {}
    )
    promised = (
        set(
            session.execute(
                select(col(CommitmentView.project)).where(
                    col(CommitmentView.chain_id) == chain_id,
                    col(CommitmentView.project).in_(keys),
                    (
                        col(CommitmentView.kind).in_(["shelter_build", "fee_payment"])
                        & col(CommitmentView.status).in_(HOLDING)
                    )
                    | ((col(CommitmentView.kind) == "shelter_build") & (col(CommitmentView.status) == "fulfilled")),
                )
            ).scalars()
        )
        if chain_id is not None and keys
        else set()
    )
    on_its_way = set(  # a promise accepted and not yet on chain is not a finding yet
        session.execute(
            select(col(CommitmentRecord.project_code))
            .join(OutboxCommand, col(OutboxCommand.id) == col(CommitmentRecord.command_id))
            .where(
                col(CommitmentRecord.project_code).in_([p.project_code for p in projects]),
                col(CommitmentRecord.kind).in_(["shelter_build", "fee_payment"]),
                col(OutboxCommand.status).in_(IN_FLIGHT),
            )
        ).scalars()
    )
    findings = []
    for p in projects:
        if p.project_code in on_its_way:
            continue
        account = accounts.get(p.project_key)
        built = p.stage == "completed" and shortfall(p.required_shelter_area, p.built_shelter_area) == 0
        settled = account is not None and account.status in SETTLED
        if built or settled or p.project_key in promised:
            continue
        fee = (
            "未评估（链上无缴费账户）"
            if account is None
            else f"链上缴费状态 {account.status}，已缴 {account.paid_fen} 分 / 应缴 {account.due_fen} 分"
        )
        findings.append(
            Finding(
                "approved_unsecured",
                p.project_code,
                f"项目处于 {p.stage} 阶段：人防工程未建成（缺建面积 "
                f"{shortfall(p.required_shelter_area, p.built_shelter_area)}），{fee}，且无有效的建设或缴费承诺",
                project_code=p.project_code,
                proofs=[account.transaction_hash] if account is not None else [],
            )
        )
    return findings


def _statements_against_chain(session: Session, chain_id: int | None, checked: dict) -> list[Finding]:
    days = sorted(set(session.execute(select(col(TaxStatementLine.day))).scalars()))
    checked["statement_days"] = len(days)
    checked["statement_vouchers"] = 0
    findings: list[Finding] = []
    for day in days:
        lines = {
            reference_key_hex(line.voucher_number): line
            for line in session.execute(select(TaxStatementLine).where(col(TaxStatementLine.day) == day)).scalars()
        }
        checked["statement_vouchers"] += len(lines)
        start, end = day_bounds(day)
        on_chain = (
            {
                p.voucher: p
                for p in session.execute(
                    select(Payment).where(
                        col(Payment.chain_id) == chain_id,
                        (col(Payment.voucher).in_(list(lines)))
                        | ((col(Payment.paid_at) >= start) & (col(Payment.paid_at) < end)),
                    )
                ).scalars()
            }
            if chain_id is not None
            else {}
        )
        ours = {
            reference_key_hex(c.voucher_number): c
            for c in session.execute(
                select(PaymentConfirmation).where(
                    col(PaymentConfirmation.voucher_number).in_([line.voucher_number for line in lines.values()])
                    | ((col(PaymentConfirmation.paid_at) >= start) & (col(PaymentConfirmation.paid_at) < end))
                )
            ).scalars()
        }
        in_flight = set(
            session.execute(
                select(col(OutboxCommand.id)).where(
                    col(OutboxCommand.id).in_([c.command_id for c in ours.values()]),
                    col(OutboxCommand.status).in_(IN_FLIGHT),
                )
            ).scalars()
        )
        for key, line in lines.items():
            payment = on_chain.get(key)
            if payment is None:
                confirmation = ours.get(key)
                if confirmation is not None and confirmation.command_id in in_flight:
                    continue  # on its way to the chain
                findings.append(
                    Finding(
                        "payment_missing_on_chain",
                        line.voucher_number,
                        f"税务对账单（{day}）列有缴款凭证 {line.voucher_number}（{line.amount_fen} 分），链上没有"
                        + ("；本系统未收到其缴款确认" if confirmation is None else "；其缴款确认未上链"),
                        project_code=confirmation.project_code if confirmation else None,
                    )
                )
            elif payment.amount_fen != line.amount_fen:
                findings.append(
                    Finding(
                        "amount_mismatch",
                        line.voucher_number,
                        f"缴款凭证 {line.voucher_number}：税务对账单 {line.amount_fen} 分，"
                        f"链上 {payment.amount_fen} 分",
                        project_code=ours[key].project_code if key in ours else None,
                        proofs=[payment.transaction_hash],
                    )
                )
        for key, payment in on_chain.items():
            if key in lines or payment.imported or not start <= payment.paid_at < end:
                continue
            confirmation = ours.get(key)
            number = confirmation.voucher_number if confirmation else key
            findings.append(
                Finding(
                    "payment_not_in_statement",
                    number,
                    f"链上缴款 {number}（{payment.amount_fen} 分，{day}）不在当日税务对账单中",
                    project_code=confirmation.project_code if confirmation else None,
                    proofs=[payment.transaction_hash],
                )
            )
    return findings


def _overdue_unmarked(session: Session, chain_id: int | None, now: int, checked: dict) -> list[Finding]:
    """The sweep's own query (ledger.domain.commitments.overdue_unmarked), at `now` less the slack it is given."""
    if chain_id is None:
        checked["open_commitments"] = 0
        return []
    checked["open_commitments"] = session.execute(
        select(func.count()).where(col(CommitmentView.chain_id) == chain_id, col(CommitmentView.status).in_(OPEN))
    ).scalar_one()
    rows = session.execute(
        overdue_unmarked(session, now=now)
        .where(col(CommitmentView.chain_id) == chain_id)
        .order_by(col(CommitmentView.due_at))
    ).all()
    return [
        Finding(
            "overdue_unmarked",
            number,
            f"承诺 {number} 已过期限（{from_unix(due_at).date()}）及宽限期，链上仍未标记逾期",
            project_code=project,
            proofs=[transaction_hash],
        )
        for number, project, _key, due_at, transaction_hash in rows
    ]


def _read_model(audit: ReadModelAudit | None, checked: dict) -> list[Finding]:
    if audit is None:
        checked["read_model"] = "not checked"
        return []
    try:
        tables = audit()
    except Exception as exc:  # noqa: BLE001 — the audit needs the node; its absence is said, not fatal
        checked["read_model"] = f"not checked: {type(exc).__name__}: {exc}"[:300]
        return []
    checked["read_model_tables"] = len(tables)
    return [
        Finding(
            "read_model_differs",
            t.table,
            f"读模型表 {t.table} 与链上不一致：{t.changed} 行不同，{t.missing} 行缺失，{t.extra} 行链上没有。"
            + ("；".join(t.examples)),
        )
        for t in tables
        if not t.equal
    ]
