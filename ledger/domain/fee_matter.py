"""One place for the whole matter (一门、一站、一次): a project's fee matter from assessment to
clearance as one timeline — levy, reductions, adjustments, payments, refunds, commitments and their
evidence, credit repair applications (applied, published for notice, objections, decided; the repair
itself is the commitment's on-chain step with its proof), the enterprise's tickets and the random
inspections of its commitments — each step with its status, its proof and what is expected of whom next.

`fee_matter` is pure: rows in, steps out (the tests feed it rows of every kind). `read_fee_matter`
gathers the rows of one project from the read model (the chain's facts, each with its block time and
proof), the write model (levies, commitment numbers) and the ticket desk.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import bindparam
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.read_model import BLOCK_TIME_JOIN, PROOF_WITH_BLOCK_TIME, read_sql
from ledger.db.write_model import CommitmentRecord
from ledger.domain import oversight, payments, repairs, tickets
from ledger.domain.common import (
    SHANGHAI,
    enterprise_key_hex,
    from_unix,
    names_of,
    project_key_hex,
    proof_with_block_time,
    read_model_chain_id,
    yuan,
)
from ledger.domain.errors import NotFound
from ledger.domain.repair_gate import ends_text
from ledger.domain.schemas.common import ProofWithBlockTime
from ledger.domain.schemas.regulator import FeeAccountPublic, MoneyEntryPublic
from ledger.domain.schemas.tax import LevyPublic
from ledger.domain.tickets import TicketView

Actor = Literal["enterprise", "office", "tax_bureau", "none"]
# What the enterprise can do from the timeline (the portal links each to its page).
Action = Literal["pay", "submit_evidence", "answer_rejection", "apply_repair", "rate_ticket"]

CLEARED = ("paid", "exempt", "nothing_owed")  # fee statuses after which nothing is owed either way
DONE_COMMITMENT = ("fulfilled", "repaired")


@dataclass(frozen=True)
class Expected:
    """What is expected next, of whom, said in a sentence; `action` when the enterprise can do it here."""

    actor: Actor
    sentence: str
    action: Action | None = None
    target: str | None = None  # the levy, commitment or ticket number the action is about


NOTHING = Expected("none", "")


@dataclass(frozen=True)
class Step:
    kind: str  # assessed, relief, adjusted, payment, refund, commitment_<event>, ticket, unassessed
    thread: str  # "fee", "commitment:<number>", "ticket:<number>": the steps of one thread follow one another
    at: datetime | None  # block time for a chain fact; the ticket's submission time
    status: str  # the thread's status as of this step ("on_chain" for a fee step a later one followed)
    expected: Expected  # on a thread's latest step only; NOTHING on the steps a later one took over
    amount_fen: int | None = None
    reference: str | None = None  # voucher number, refund reference, commitment number, ticket number
    voucher_number: str | None = None  # a payment's: its public receipt page is its proof page
    proof: ProofWithBlockTime | None = None  # None for what is not on chain (tickets, a project not yet assessed)
    late: bool | None = None
    # the document the chain holds the digest of (a relief's, an adjustment's, a decision's), 0x-hex: the
    # portal links it where the office uploaded the file (ledger.domain.office_documents)
    document_hash: str | None = None


@dataclass(frozen=True)
class CommitmentEventRow:
    event: str  # recorded, imported, evidence_submitted, evidence_rejected, fulfilled, marked_overdue, ...
    status: str | None  # the commitment's status after the event; None when unchanged
    due_at: datetime | None
    proof: ProofWithBlockTime
    document_hash: str | None = None  # terms, evidence, decision or reason document, 0x-hex


@dataclass(frozen=True)
class CommitmentRows:
    """One commitment of the project as the read model holds it, with its events in chain order."""

    number: str
    kind: str
    status: str
    due_at: datetime
    evidence_pending: bool
    events: list[CommitmentEventRow]


@dataclass(frozen=True)
class RepairRows:
    """A credit repair application of one of the project's commitments, with the objections to its notice."""

    application: repairs.Application
    objections: list[repairs.Objection]


@dataclass(frozen=True)
class MatterRows:
    """Everything the timeline is made of, for one project."""

    account: FeeAccountPublic | None
    money: list[MoneyEntryPublic]  # in chain order
    levies: list[LevyPublic]
    commitments: list[CommitmentRows]
    tickets: list[TicketView]
    repairs: list["RepairRows"] = field(default_factory=list)
    # Random inspections (双随机抽查) of the project's commitments: kind "inspection", thread
    # "inspection:<commitment number>", status the outcome (conforms, minor_findings, false_commitment).
    inspections: list[Step] = field(default_factory=list)


@dataclass(frozen=True)
class FeeMatter:
    steps: list[Step]  # in time order (chain order for chain facts)
    to_do: list[Expected]  # what is expected of anyone now, the enterprise's first
    cleared: bool  # the fee is settled and no commitment or ticket waits on anyone


def fee_matter(rows: MatterRows) -> FeeMatter:
    """The steps of the matter in time order, each thread's latest step carrying what comes next."""
    applied = {r.application.commitment_number for r in rows.repairs}
    steps = _fee_steps(rows) + [s for c in rows.commitments for s in _commitment_steps(c, c.number in applied)]
    latest = {r.application.commitment_number: r.application.id for r in rows.repairs}  # rows oldest first
    steps += [s for r in rows.repairs for s in _repair_steps(r, latest[r.application.commitment_number])]
    steps += [_ticket_step(t) for t in rows.tickets] + rows.inspections
    steps.sort(key=_order)
    waiting = [s for s in steps if s.expected.actor != "none"]
    waiting.sort(key=lambda s: (s.expected.actor != "enterprise", s.thread != "fee"))  # the enterprise's, the fee first
    to_do = [s.expected for s in waiting]
    fee_settled = rows.account is not None and rows.account.status in CLEARED
    return FeeMatter(steps=steps, to_do=to_do, cleared=fee_settled and not to_do)


def _order(step: Step) -> tuple:
    proof = step.proof
    moment = step.at.timestamp() if step.at else float("inf")  # not yet on chain: at the end
    return (moment, proof.block_number if proof else 0, proof.log_index if proof else 0)


def _fee_steps(rows: MatterRows) -> list[Step]:
    account = rows.account
    if account is None:
        return [Step("unassessed", "fee", None, "unassessed", Expected("office", "人防办尚未核定本项目的易地建设费。"))]
    steps = []
    for index, entry in enumerate(rows.money):
        latest = index == len(rows.money) - 1
        payment = entry.kind == "payment"
        steps.append(
            Step(
                kind=entry.kind,
                thread="fee",
                at=entry.proof.block_time,
                status=account.status if latest else "on_chain",
                expected=_fee_expected(account, rows.levies) if latest else NOTHING,
                amount_fen=entry.due_fen_after if entry.kind in ("assessed", "relief") else entry.amount_fen,
                reference=entry.reference,
                voucher_number=entry.reference if payment else None,
                proof=entry.proof,
                late=entry.late,
                document_hash=entry.document_hash,
            )
        )
    return steps


def _fee_expected(account: FeeAccountPublic, levies: Sequence[LevyPublic]) -> Expected:
    owed = account.due_fen - (account.paid_fen - account.refunded_fen)
    if account.status in ("assessed", "partially_paid"):
        levy = next((levy for levy in levies if levy.status == "open"), None)
        if levy is None:
            return Expected("tax_bureau", f"尚欠 {yuan(owed)}，缴款书待税务部门开具。")
        sentence = f"请缴纳尚欠的 {yuan(owed)}（缴款书 {levy.levy_number}）。"
        return Expected("enterprise", sentence, "pay", levy.levy_number)
    if account.status == "overpaid":
        return Expected("tax_bureau", f"多缴 {yuan(account.refund_owed_fen or -owed)}，待税务部门退付。")
    return NOTHING  # paid, exempt, nothing owed: settled


def _commitment_steps(c: CommitmentRows, repair_applied: bool = False) -> list[Step]:
    steps, status = [], "recorded"
    for index, e in enumerate(c.events):
        status = e.status or status
        latest = index == len(c.events) - 1
        steps.append(
            Step(
                kind=f"commitment_{e.event}",
                thread=f"commitment:{c.number}",
                at=e.proof.block_time,
                status=(_commitment_status(c, e.event) if latest else status),
                expected=_commitment_expected(c, e.event, repair_applied) if latest else NOTHING,
                reference=c.number,
                proof=e.proof,
                document_hash=e.document_hash,
            )
        )
    return steps


def _commitment_status(c: CommitmentRows, last_event: str) -> str:
    if c.status in DONE_COMMITMENT or c.status == "breached":
        return c.status
    if c.evidence_pending:
        return "evidence_submitted"
    return "evidence_rejected" if last_event == "evidence_rejected" else c.status


def _commitment_expected(c: CommitmentRows, last_event: str, repair_applied: bool = False) -> Expected:
    due, n = _day(c.due_at), c.number
    match _commitment_status(c, last_event):
        case "breached" if repair_applied:  # the repair application's thread says what comes next
            return NOTHING
        case "fulfilled" | "repaired":
            return NOTHING
        case "evidence_submitted":
            return Expected("office", f"履约材料已提交，待人防办审核（承诺 {n}）。")
        case "evidence_rejected":
            return Expected("enterprise", f"履约材料被退回：请补充后重新提交（承诺 {n}）。", "answer_rejection", n)
        case "breached":
            return Expected("enterprise", f"承诺 {n} 已认定违约：整改后可申请信用修复。", "apply_repair", n)
        case "overdue":
            return Expected("enterprise", f"承诺 {n} 已于 {due} 到期：请尽快提交履约材料。", "submit_evidence", n)
        case _:  # recorded, extended
            return Expected("enterprise", f"请在 {due} 前提交履约材料（承诺 {n}）。", "submit_evidence", n)


def _repair_steps(r: RepairRows, latest_id: str) -> list[Step]:
    """Applied, published (with its notice period), each objection, decided: the latest carries what next."""
    a, n = r.application, r.application.commitment_number
    thread = f"repair:{a.id}"
    found: list[tuple[str, datetime | None, str, str]] = [("repair_applied", a.submitted_at, "submitted", n)]
    if a.published_at is not None:
        found.append(("repair_published", a.published_at, "published", n))
    found += [("repair_objection", o.submitted_at, "published", o.number) for o in r.objections]
    if a.status in ("approved", "rejected"):
        found.append((f"repair_{a.status}", a.decided_at, a.status, n))
    match a.status:
        case "submitted":
            expected = Expected("office", f"信用修复申请待人防办审核并公示（承诺 {n}）。")
        case "published":
            ends = ends_text(a.notice_ends_at) if a.notice_ends_at else ""
            expected = Expected("office", f"信用修复公示至 {ends} 期满，人防办结合异议作出决定（承诺 {n}）。")
        case "rejected" if a.id == latest_id:
            sentence = f"信用修复申请未获批准：{a.reason}。整改后可重新申请（承诺 {n}）。"
            expected = Expected("enterprise", sentence, "apply_repair", n)
        case "approved" if a.command_status not in ("indexed", "failed"):
            expected = Expected("office", f"信用修复已批准，正在写入区块链（承诺 {n}）。")
        case _:
            expected = NOTHING
    return [
        Step(kind, thread, at, status, expected if index == len(found) - 1 else NOTHING, reference=reference)
        for index, (kind, at, status, reference) in enumerate(found)
    ]


def _ticket_step(t: TicketView) -> Step:
    if t.status == "open":
        late = f"答复期限 {_day(t.due_at)} 已过，人防办应尽快答复（{t.number}）。"
        expected = Expected("office", late if t.overdue else f"人防办将在 {_day(t.due_at)} 前答复（{t.number}）。")
        status = "open"
    elif t.rating is None:
        status = "answered"
        expected = Expected("enterprise", f"人防办已答复：请查看并评价（{t.number}）。", "rate_ticket", t.number)
    else:
        status, expected = "rated", NOTHING
    return Step("ticket", f"ticket:{t.number}", t.submitted_at, status, expected, reference=t.number)


def _day(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d")


# ----- reading the rows of one project ---------------------------------------------------------------


def read_fee_matter(session: Session, *, project_code: str, uscc: str) -> MatterRows:
    """The rows of the fee matter of one of the enterprise's projects (the caller checked it is theirs)."""
    try:
        trail = oversight.money_trail(session, project_code=project_code)
        account, money = trail.account, trail.entries
    except NotFound:  # registered nowhere the ledger knows: nothing on chain yet
        account, money = None, []
    levies = [levy for levy in payments.levies_of_enterprise(session, uscc=uscc) if levy.project_code == project_code]
    return MatterRows(
        account=account,
        money=money,
        levies=levies,
        commitments=_commitments(session, project_code=project_code, uscc=uscc),
        tickets=tickets.filed_by_enterprise(session, uscc=uscc, project_code=project_code),
        repairs=[
            RepairRows(a, repairs.objections(session, application_id=a.id))
            for a in repairs.applications_of_project(session, project_code=project_code, uscc=uscc)
        ],
        inspections=_inspections(session, project_code=project_code, uscc=uscc),
    )


def inspection_step(number: str, outcome: str, proof: ProofWithBlockTime) -> Step:
    """An inspection's outcome on the timeline (a false commitment is scored on the credit record)."""
    return Step(
        "inspection",
        f"inspection:{number}",
        proof.block_time,
        outcome,
        NOTHING,
        reference=number,
        proof=proof,
    )


def _inspections(session: Session, *, project_code: str, uscc: str) -> list[Step]:
    """The outcomes random inspections recorded for the project's commitments that their draws selected
    (the selection kept by ledger.domain.inspections.store_selections: an outcome for a commitment a
    draw did not select is not the enterprise's, as the credit scorer does not count it)."""
    chain_id = read_model_chain_id(session)
    if chain_id is None:
        return []
    rows = session.execute(
        read_sql(
            f"SELECT e.commitment, e.outcome, {PROOF_WITH_BLOCK_TIME} FROM inspection_outcomes e "
            "JOIN commitments c ON c.chain_id = e.chain_id AND c.commitment = e.commitment "
            "JOIN inspection_draw_events r ON r.chain_id = e.chain_id AND r.draw = e.draw AND r.event = 'revealed' "
            "JOIN inspection_selections s ON s.chain_id = e.chain_id AND s.draw = e.draw AND s.seed = r.seed "
            f"AND s.commitment = e.commitment {BLOCK_TIME_JOIN} "
            "WHERE e.chain_id = :c AND c.project = :p AND c.enterprise = :e ORDER BY e.block_number, e.log_index"
        ),
        {"c": chain_id, "p": project_key_hex(project_code), "e": enterprise_key_hex(uscc)},
    ).all()
    numbers = names_of(
        session, col(CommitmentRecord.commitment_key), col(CommitmentRecord.commitment_number), [r[0] for r in rows]
    )
    return [
        inspection_step(numbers.get(key, key), outcome, proof_with_block_time(*proof)) for key, outcome, *proof in rows
    ]


def _commitments(session: Session, *, project_code: str, uscc: str) -> list[CommitmentRows]:
    chain_id = read_model_chain_id(session)
    if chain_id is None:
        return []
    current = session.execute(
        read_sql(
            "SELECT commitment, kind, status, due_at, evidence_submitted_at FROM commitments "
            "WHERE chain_id = :c AND project = :p AND enterprise = :e ORDER BY recorded_block, commitment"
        ),
        {"c": chain_id, "p": project_key_hex(project_code), "e": enterprise_key_hex(uscc)},
    ).all()
    if not current:
        return []
    events: dict[str, list[CommitmentEventRow]] = {}
    for commitment, event, status, due_at, document, *proof in session.execute(
        read_sql(
            f"SELECT e.commitment, e.event, e.status, e.due_at, e.document_hash, {PROOF_WITH_BLOCK_TIME} "
            f"FROM commitment_events e {BLOCK_TIME_JOIN} WHERE e.chain_id = :c AND e.commitment IN :keys "
            "ORDER BY e.block_number, e.log_index"
        ).bindparams(bindparam("keys", expanding=True)),
        {"c": chain_id, "keys": [row[0] for row in current]},
    ):
        events.setdefault(commitment, []).append(
            CommitmentEventRow(event, status, from_unix(due_at), proof_with_block_time(*proof), document)
        )
    numbers = names_of(
        session, col(CommitmentRecord.commitment_key), col(CommitmentRecord.commitment_number), [r[0] for r in current]
    )
    return [
        CommitmentRows(
            number=numbers.get(key, key),
            kind=kind,
            status=status,
            due_at=from_unix(due_at),
            evidence_pending=bool(evidence_at),
            events=events.get(key, []),
        )
        for key, kind, status, due_at, evidence_at in current
    ]
