"""Commitments: recorded by the approval system, decided by office staff, fulfilled by acceptance."""

import time
import uuid

import orjson
from sqlalchemy import Select, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.read_model import BlockTime, CommitmentEvent
from ledger.db.read_model import Commitment as CommitmentView
from ledger.db.write_model import AcceptanceReportRecord, CommitmentDocument, CommitmentRecord, Levy, OutboxCommand
from ledger.domain import chain_time, repair_gate
from ledger.domain.business_keys import COMMITMENTS, key_states, replace_failed
from ledger.domain.common import (
    end_of_day,
    enterprise_key_hex,
    from_unix,
    get_project_row,
    project_key_hex,
    read_model_chain_id,
    reference_key_hex,
    sha_hex,
    unix,
)
from ledger.domain.errors import Conflict, InvalidState, NotFound, ValidationFailed
from ledger.domain.fees import _adjust, _assessed_basis, _current_relief_bps, _open_assessment
from ledger.domain.rates import SURVEY_REDUCTION, SURVEY_SUPPLEMENT, fee_fen, relief_fen, shortfall
from ledger.domain.schemas.approval import AcceptanceAccepted, AcceptanceReport, CommitmentCreate
from ledger.domain.schemas.common import CommandAccepted
from ledger.domain.schemas.enterprise import CommitmentPublic
from ledger.domain.schemas.office import CommitmentDecision
from ledger.outbox.commands import FAILED, NewCommand, enqueue, new_command_id
from ledger.outbox.kinds import COMMITMENT_KINDS

DECISION_KINDS = {
    "fulfil": "fulfil_commitment",
    "breach": "breach_commitment",
    "extend": "extend_commitment",
    "repair": "repair_commitment",
    "accept": "fulfil_by_acceptance",
    "submit_evidence": "submit_evidence",
    "reject_evidence": "reject_evidence",
}
DECISION_ARGUMENT = {
    "fulfil": "evidence_hash",
    "breach": "reason_hash",
    "extend": "document_hash",
    "repair": "evidence_hash",
    "accept": "report_hash",
    "submit_evidence": "evidence_hash",
    "reject_evidence": "reason_hash",
}
# The fact time each decision carries on chain (CommitmentRegistry v2).
DECISION_TIME = {
    "fulfil": "fulfilled_at",
    "repair": "repaired_at",
    "accept": "accepted_at",
    "submit_evidence": "submitted_at",
}
MIN_NOTICE_SECONDS = 86_400  # CommitmentRegistry.MIN_NOTICE: due at least a day after signing
MAX_HORIZON_SECONDS = 3650 * 86_400  # CommitmentRegistry.MAX_HORIZON: due at most this long after signing
MAX_EXTENSIONS = 3  # CommitmentRegistry.MAX_EXTENSIONS


def record_commitments(session: Session, *, commitments: list[CommitmentCreate], client: str) -> list[CommandAccepted]:
    """Record one or many commitments (all or none): each project must be registered, each number
    new (forever) and each due date in the future."""
    numbers = [c.commitment_number for c in commitments]

    def taken_conflict(taken: set[str]) -> Conflict:  # names the batch item that holds the first taken number
        index = numbers.index(min(taken)) if taken else 0
        return Conflict(
            f"commitment {numbers[index]} is already recorded (on chain or on its way)",
            field=f"items[{index}].commitment_number" if len(commitments) > 1 else "commitment_number",
            rule="unique_forever",
        )

    seen = set()
    latest_allowed = chain_time.chain_clock().latest_allowed()
    # Omitted: signed now on the chain's clock (the registry judges signedAt by block time, not ours).
    signed = {
        c.commitment_number: unix(c.signed_at) if c.signed_at else chain_time.chain_clock().now() for c in commitments
    }
    for index, c in enumerate(commitments):
        field = f"items[{index}].commitment_number" if len(commitments) > 1 else "commitment_number"
        if c.commitment_number in seen:
            raise Conflict(f"commitment {c.commitment_number} appears twice", field=field, rule="unique_forever")
        seen.add(c.commitment_number)
        get_project_row(session, c.project_code, field=field.replace("commitment_number", "project_code"))
        signed_at = signed[c.commitment_number]
        if signed_at > latest_allowed:
            raise ValidationFailed(
                "signed_at is in the future",
                field=field.replace("commitment_number", "signed_at"),
                rule="not_in_future",
            )
        if end_of_day(c.due_date) < signed_at + MIN_NOTICE_SECONDS:
            raise ValidationFailed(
                "due_date must be at least a day after signing",
                field=field.replace("commitment_number", "due_date"),
                rule="min_notice",
            )
        if end_of_day(c.due_date) > signed_at + MAX_HORIZON_SECONDS:
            raise ValidationFailed(
                "due_date must be within 3,650 days of signing",
                field=field.replace("commitment_number", "due_date"),
                rule="max_horizon",
            )
    keys = key_states(session, COMMITMENTS, set(numbers))
    if keys.taken:
        raise taken_conflict(keys.taken)
    now = time.time()
    rows, commands = [], []
    for c in commitments:
        command = NewCommand(
            "record_commitment",
            c.commitment_number,
            c.project_code,
            {
                "commitment": reference_key_hex(c.commitment_number),
                "project": project_key_hex(c.project_code),
                "enterprise": enterprise_key_hex(c.enterprise_uscc),
                "kind": COMMITMENT_KINDS[c.kind],
                "signed_at": signed[c.commitment_number],
                "due_at": end_of_day(c.due_date),
                "terms_hash": sha_hex(c.terms_sha256),
            },
            new_command_id(),
        )
        commands.append(command)
        rows.append(
            {
                "commitment_number": c.commitment_number,
                "commitment_key": command.args["commitment"],
                "project_code": c.project_code,
                "enterprise_uscc": c.enterprise_uscc,
                "kind": c.kind,
                "due_date": c.due_date,
                "due_at": command.args["due_at"],
                "terms_sha256": c.terms_sha256,
                "client": client,
                "command_id": command.id,
                "created_at": now,
            }
        )
    new = [row for row in rows if row["commitment_number"] not in keys.failed]
    try:
        with session.begin_nested():
            if new:
                session.execute(insert(CommitmentRecord), new)
            for row in rows:
                number = row["commitment_number"]
                if number in keys.failed and not replace_failed(session, COMMITMENTS, number, keys.failed[number], row):
                    raise IntegrityError("correction lost", None, Exception())  # a concurrent correction won
            enqueue(session, commands, client=client)
    except IntegrityError:  # a concurrent request took a number after the check: name the item it took
        raise taken_conflict(key_states(session, COMMITMENTS, set(numbers)).taken) from None
    return [CommandAccepted(command_id=c.id, kind=c.kind, reference=c.reference) for c in commands]


def decide_commitment(
    session: Session, *, commitment_number: str, decision: CommitmentDecision, actor: str
) -> CommandAccepted:
    """An office decision on a commitment; the registry enforces the lifecycle (an invalid
    transition fails the command with CommitmentRegistryInvalidTransition). A repair needs a repair
    application whose notice period has ended (ledger.domain.repair_gate) and approves it."""
    record = session.get(CommitmentRecord, commitment_number)
    if record is None:
        raise NotFound(f"no commitment {commitment_number}", field="commitment_number", rule="recorded_commitment")
    if _record_failed(session, record):
        raise InvalidState(
            f"the chain refused commitment {commitment_number}; record it again, corrected",
            field="commitment_number",
            rule="recorded_commitment",
        )
    if decision.decided_at is not None and unix(decision.decided_at) > chain_time.chain_clock().latest_allowed():
        raise ValidationFailed(
            "decided_at is more than 15 minutes after the chain's time", field="decided_at", rule="not_after_chain_time"
        )
    signed_at = _signed_at(session, record)
    fact_at = None
    if decision.action in DECISION_TIME:
        fact_at = _fact_time(session, record, decision.decided_at, "decided_at", signed_at, decision.action)
    if decision.action == "extend":
        new_due_date = decision.new_due_date
        if new_due_date is None:  # (the schema requires it to extend)
            raise ValidationFailed(
                "new_due_date is required to extend a commitment", field="new_due_date", rule="required_for_extend"
            )
        if new_due_date <= record.due_date:
            raise ValidationFailed(
                "new_due_date must be after the current due date", field="new_due_date", rule="later_than_due_date"
            )
        if end_of_day(new_due_date) <= chain_time.chain_clock().now():
            raise ValidationFailed(
                "new_due_date must be ahead of the chain's time", field="new_due_date", rule="future_date"
            )
        if end_of_day(new_due_date) > signed_at + MAX_HORIZON_SECONDS:
            raise ValidationFailed(
                "new_due_date must be within 3,650 days of signing", field="new_due_date", rule="max_horizon"
            )
        if _extensions(session, record) >= MAX_EXTENSIONS:
            raise InvalidState(
                f"commitment {record.commitment_number} was extended {MAX_EXTENSIONS} times already",
                field="action",
                rule="max_extensions",
            )
    if problem := _foreseeable_refusal(session, record, decision.action):
        raise problem
    # A repair only after its public notice (ledger.domain.repairs): the decision is that application's approval.
    application = (
        repair_gate.claim_for_repair(session, record=record, document_sha256=decision.document_sha256)
        if decision.action == "repair"
        else None
    )
    accepted = _decide(
        session,
        record,
        decision.action,
        decision.document_sha256,
        actor,
        new_due_date=decision.new_due_date,
        fact_at=fact_at,
    )
    if application is not None:
        repair_gate.mark_approved(session, application=application, actor=actor, command_id=accepted.command_id)
    return accepted


def _decide(
    session: Session,
    record: CommitmentRecord,
    action: str,
    document_sha256: str,
    actor: str,
    new_due_date=None,
    fact_at: int | None = None,
) -> CommandAccepted:
    args: dict[str, str | int | None] = {
        "commitment": record.commitment_key,
        DECISION_ARGUMENT[action]: sha_hex(document_sha256),
    }
    if action in DECISION_TIME:
        args[DECISION_TIME[action]] = fact_at
    if action == "extend":
        new_due_at = end_of_day(new_due_date)
        args["new_due_at"] = new_due_at
        record.due_date, record.due_at = new_due_date, new_due_at
    command = NewCommand(DECISION_KINDS[action], record.commitment_number, record.project_code, args).with_id()
    session.add(
        CommitmentDocument(
            id=uuid.uuid4().hex,
            commitment_number=record.commitment_number,
            action=action,
            document_sha256=document_sha256,
            new_due_date=new_due_date,
            actor=actor,
            command_id=command.id,
            created_at=time.time(),
        )
    )
    enqueue(session, [command], client=actor)
    session.flush()
    return CommandAccepted(command_id=command.id, kind=command.kind, reference=command.reference)


def report_acceptance(session: Session, *, report: AcceptanceReport, client: str) -> AcceptanceAccepted:
    """Joint acceptance: a pass fulfils the project's shelter_build commitments on chain
    (fulfilByAcceptance, signed by the approval role, evidence: the report);
    a surveyed shelter area that differs from the built area charges the difference (补缴) or
    reduces it (核减) at the assessment's rate."""
    project = get_project_row(session, report.project_code)
    if report.accepted_at is not None and unix(report.accepted_at) > chain_time.chain_clock().latest_allowed():
        raise ValidationFailed(
            "accepted_at is more than 15 minutes after the chain's time",
            field="accepted_at",
            rule="not_after_chain_time",
        )
    commands: list[CommandAccepted] = []
    delta = 0
    if report.passed:
        shelter_builds = (
            session.execute(
                select(CommitmentRecord)
                .join(OutboxCommand, col(OutboxCommand.id) == col(CommitmentRecord.command_id))
                .where(
                    col(CommitmentRecord.project_code) == project.project_code,
                    col(CommitmentRecord.kind) == "shelter_build",
                    col(OutboxCommand.status) != FAILED,
                )
            )
            .scalars()
            .all()
        )
        for record in shelter_builds:
            if not _decided(session, record.commitment_number):
                signed_at = _signed_at(session, record)
                fact_at = _fact_time(session, record, report.accepted_at, "accepted_at", signed_at, "accept")
                commands.append(_decide(session, record, "accept", report.report_sha256, client, fact_at=fact_at))
    if report.surveyed_shelter_area != project.built_shelter_area:
        assessment = (
            session.execute(
                select(Levy)
                .where(
                    col(Levy.project_code) == project.project_code,
                    col(Levy.kind) == "assessment",
                    col(Levy.status) == "open",
                )
                .order_by(col(Levy.seq).desc())
            )
            .scalars()
            .first()
        )
        if assessment is not None:
            bps = _current_relief_bps(session, project.project_code)
            _, rate = _assessed_basis(assessment)

            def relieved(area: int) -> int:  # what the area would owe, relief applied as on chain
                base = fee_fen(shortfall(project.required_shelter_area, area), rate)
                return base - relief_fen(base, bps)

            delta = relieved(report.surveyed_shelter_area) - relieved(project.built_shelter_area)
            if delta:
                reason = SURVEY_SUPPLEMENT if delta > 0 else SURVEY_REDUCTION
                commands.append(
                    _adjust(
                        session,
                        project=project,
                        assessment=_open_assessment(session, project),
                        reason=reason,
                        delta=delta,
                        document_sha256=report.report_sha256,
                        actor=client,
                    )
                )
        project.built_shelter_area = report.surveyed_shelter_area
    if report.passed:
        project.stage = "completed"
    project.updated_at = time.time()
    report_id = uuid.uuid4().hex
    session.add(
        AcceptanceReportRecord(
            id=report_id,
            project_code=project.project_code,
            passed=report.passed,
            surveyed_shelter_area=report.surveyed_shelter_area,
            report_sha256=report.report_sha256,
            delta_fen=delta,
            client=client,
            created_at=time.time(),
        )
    )
    session.flush()
    return AcceptanceAccepted(report_id=report_id, commands=commands, delta_fen=delta)


def _record_failed(session: Session, record: CommitmentRecord) -> bool:
    return (
        session.execute(select(col(OutboxCommand.status)).where(col(OutboxCommand.id) == record.command_id)).scalar()
        == FAILED
    )


# The statuses each decision's contract function accepts (CommitmentRegistry v3), as the chain holds
# them; anything else reverts with CommitmentRegistryInvalidTransition. `_open` admits recorded,
# extended and overdue; breach and repair check one status of their own.
OPEN = frozenset({"recorded", "extended", "overdue"})
ACCEPTED_FROM: dict[str, frozenset[str]] = {
    "fulfil": OPEN,  # fulfil → _open
    "accept": OPEN,  # fulfilByAcceptance → _open
    "extend": OPEN,  # extend → _open
    "submit_evidence": OPEN,  # submitEvidence → _open
    "reject_evidence": OPEN,  # rejectEvidence → _open
    "breach": frozenset({"overdue"}),  # breach: c.status == Overdue (markOverdue comes first)
    "repair": frozenset({"breached"}),  # repair: c.status == Breached
}
# The bounds of each dated decision's fact time (CommitmentRegistry v3 `_checkFactTime`): never before
# the signing nor after the chain's time plus the skew; a repair (it answers a breach, which follows the
# mark) not before the latest overdue mark either. Evidence and fulfilments may predate a mark and reach
# the chain after it (issue 17; the credit rules give the mark's weight back: `overdue_mark_voided`).
NOT_BEFORE_OVERDUE_MARK = frozenset({"repair"})
# Pending evidence: rejectEvidence needs some (…NoEvidencePending), breach none (…EvidencePending).
NEEDS_EVIDENCE_PENDING = frozenset({"reject_evidence"})
REFUSED_WITH_EVIDENCE_PENDING = frozenset({"breach"})
IN_FLIGHT = ("accepted", "submitted", "mined")


def chain_refusal(number: str, action: str, status: str, evidence_pending: bool) -> InvalidState | None:
    """The refusal the registry answers `action` with on a commitment in `status` (with or without
    evidence pending), as a problem naming the field and the rule; None when it accepts it."""
    if status not in ACCEPTED_FROM[action]:
        if action == "breach" and status in OPEN:
            return InvalidState(
                f"commitment {number} is {status} on chain: a breach needs it marked overdue first",
                field="action",
                rule="overdue_first",
            )
        allowed = ", ".join(sorted(ACCEPTED_FROM[action]))
        return InvalidState(
            f"commitment {number} is {status} on chain: {action} is possible only from {allowed}",
            field="action",
            rule="allowed_transition",
        )
    if action in NEEDS_EVIDENCE_PENDING and not evidence_pending:
        return InvalidState(f"commitment {number} has no evidence pending", field="action", rule="evidence_pending")
    if action in REFUSED_WITH_EVIDENCE_PENDING and evidence_pending:
        return InvalidState(
            f"commitment {number} has evidence pending: decide on it first", field="action", rule="no_evidence_pending"
        )
    return None


def _foreseeable_refusal(session: Session, record: CommitmentRecord, action: str) -> InvalidState | None:
    """What the registry will surely refuse, judged from the indexed state when none of our commands
    on the commitment is still on its way (otherwise the chain decides and a refusal fails the command).
    A commitment whose record alone is on its way will be recorded, with no evidence: judged as such."""
    in_flight = set(
        session.execute(
            select(col(OutboxCommand.id)).where(
                col(OutboxCommand.reference) == record.commitment_number, col(OutboxCommand.status).in_(IN_FLIGHT)
            )
        ).scalars()
    )
    if in_flight == {record.command_id}:
        return chain_refusal(record.commitment_number, action, "recorded", False)
    query = select(col(CommitmentView.status), col(CommitmentView.evidence_submitted_at)).where(
        col(CommitmentView.commitment) == record.commitment_key
    )
    if (chain_id := read_model_chain_id(session)) is not None:
        query = query.where(col(CommitmentView.chain_id) == chain_id)
    state = session.execute(query).first()
    if in_flight or state is None:
        return None
    return chain_refusal(record.commitment_number, action, state.status, state.evidence_submitted_at != 0)


def _fact_time(session: Session, record: CommitmentRecord, given, field: str, signed_at: int, action: str) -> int:
    """The fact time `action` sends: the given one, or when omitted the earliest the registry accepts
    now (the chain's time, never before the signing, and for a repair never before the latest overdue
    mark); either is judged by the registry's bounds (CommitmentRegistryInvalidTime), so no 202 is
    followed by that refusal."""
    clock = chain_time.chain_clock()
    marked = _overdue_marked_at(session, record) if action in NOT_BEFORE_OVERDUE_MARK else None
    moment = unix(given) if given is not None else max(clock.now(), signed_at, marked or 0)
    if moment > clock.latest_allowed():
        raise ValidationFailed(
            f"{field} is more than 15 minutes after the chain's time", field=field, rule="not_after_chain_time"
        )
    if problem := fact_time_problem(record.commitment_number, action, moment, field, signed_at, marked):
        raise problem
    return moment


def fact_time_problem(
    number: str, action: str, moment: int, field: str, signed_at: int, marked: int | None
) -> ValidationFailed | None:
    """CommitmentRegistry v3: a fact is not dated before signing; a repair not before the latest overdue
    mark (`marked`, its block time) either. Evidence and fulfilments may predate the mark (issue 17)."""
    if moment < signed_at:
        return ValidationFailed(
            f"{field} is before commitment {number} was signed",
            field=field,
            rule="not_before_signing",
        )
    if action in NOT_BEFORE_OVERDUE_MARK and marked is not None and moment < marked:
        return ValidationFailed(
            f"{field} is before commitment {number} was marked overdue "
            f"({from_unix(marked).isoformat()}); a repair follows the breach",
            field=field,
            rule="not_before_overdue_mark",
        )
    return None


def _overdue_marked_at(session: Session, record: CommitmentRecord) -> int | None:
    """The block time of the commitment's latest overdue mark the read model holds."""
    query = (
        select(func.max(col(BlockTime.timestamp)))
        .join(
            CommitmentEvent,
            (col(CommitmentEvent.chain_id) == col(BlockTime.chain_id))
            & (col(CommitmentEvent.block_number) == col(BlockTime.block_number)),
        )
        .where(col(CommitmentEvent.commitment) == record.commitment_key, col(CommitmentEvent.event) == "marked_overdue")
    )
    if (chain_id := read_model_chain_id(session)) is not None:
        query = query.where(col(CommitmentEvent.chain_id) == chain_id)
    return session.execute(query).scalar()


def _signed_at(session: Session, record: CommitmentRecord) -> int:
    """The signing time the chain holds for the commitment (its record command's)."""
    args = session.execute(
        select(col(OutboxCommand.args)).where(col(OutboxCommand.id) == record.command_id)
    ).scalar_one()
    return int(orjson.loads(args)["signed_at"])


def _extensions(session: Session, record: CommitmentRecord) -> int:
    """Extensions sent for the commitment whose commands did not fail."""
    return session.execute(
        select(func.count())
        .select_from(CommitmentDocument)
        .join(OutboxCommand, col(OutboxCommand.id) == col(CommitmentDocument.command_id))
        .where(
            col(CommitmentDocument.commitment_number) == record.commitment_number,
            col(CommitmentDocument.action) == "extend",
            col(OutboxCommand.status) != FAILED,
        )
    ).scalar_one()


def _decided(session: Session, commitment_number: str) -> bool:
    """Whether a fulfil or breach is already on its way for this commitment."""
    return (
        session.execute(
            select(col(CommitmentDocument.id))
            .join(OutboxCommand, col(OutboxCommand.id) == col(CommitmentDocument.command_id))
            .where(
                col(CommitmentDocument.commitment_number) == commitment_number,
                col(CommitmentDocument.action).in_(["fulfil", "accept", "breach"]),
                col(OutboxCommand.status) != FAILED,
            )
        ).first()
        is not None
    )


def commitments_of_enterprise(session: Session, *, uscc: str) -> list[CommitmentPublic]:
    records = (
        session.execute(
            select(CommitmentRecord)
            .where(col(CommitmentRecord.enterprise_uscc) == uscc)
            .order_by(col(CommitmentRecord.created_at), col(CommitmentRecord.commitment_number))
        )
        .scalars()
        .all()
    )
    statuses = (
        dict(
            session.execute(
                select(col(CommitmentView.commitment), col(CommitmentView.status)).where(
                    col(CommitmentView.commitment).in_([r.commitment_key for r in records])
                )
            )
            .tuples()
            .all()
        )
        if records
        else {}
    )
    return [
        CommitmentPublic(
            commitment_number=r.commitment_number,
            project_code=r.project_code,
            enterprise_uscc=r.enterprise_uscc,
            kind=r.kind,
            due_date=r.due_date,
            terms_sha256=r.terms_sha256,
            status=statuses.get(r.commitment_key, "pending"),
            command_id=r.command_id,
            created_at=from_unix(r.created_at),
        )
        for r in records
    ]


def overdue_unmarked(session: Session, *, now: int) -> Select:
    """The commitments the sweep marks overdue at the chain's time `now` (sweep_overdue; the
    reconciliation asks the same query): still open past the registry's grace period (its latest
    OverdueGracePeriodSet) counted from the later of the due date and the block time the commitment
    became known on chain, no evidence pending, no mark on its way. Rows: (commitment_number,
    project_code, commitment_key, due_at, transaction_hash), unordered."""
    grace = session.execute(
        text(
            "SELECT value FROM governance_events WHERE event = 'OverdueGracePeriodSet' "
            "ORDER BY block_number DESC, log_index DESC LIMIT 1"
        )
    ).scalar()
    limit = now - int(grace or 0)
    pending = select(col(OutboxCommand.reference)).where(
        col(OutboxCommand.kind) == "mark_overdue", col(OutboxCommand.status).in_(["accepted", "submitted", "mined"])
    )
    recorded_at = func.coalesce(col(BlockTime.timestamp), 0)
    return (
        select(
            col(CommitmentRecord.commitment_number),
            col(CommitmentRecord.project_code),
            col(CommitmentRecord.commitment_key),
            col(CommitmentView.due_at),
            col(CommitmentView.transaction_hash),
        )
        .join(CommitmentView, col(CommitmentView.commitment) == col(CommitmentRecord.commitment_key))
        .outerjoin(
            BlockTime,
            (col(BlockTime.chain_id) == col(CommitmentView.chain_id))
            & (col(BlockTime.block_number) == col(CommitmentView.recorded_block)),
        )
        .where(
            col(CommitmentView.status).in_(["recorded", "extended"]),
            col(CommitmentView.due_at) < limit,
            recorded_at < limit,
            col(CommitmentView.evidence_submitted_at) == 0,
            col(CommitmentRecord.commitment_number).not_in(pending),
        )
    )


def sweep_overdue(session: Session, *, now: int, limit: int = 1000) -> list[CommandAccepted]:
    """Mark overdue, on chain, the commitments the read model shows still open past the registry's
    grace period (its latest OverdueGracePeriodSet), with no evidence pending. CommitmentRegistry v3
    counts the grace from the later of the due date and the block time the commitment became known
    on chain (`recordedAt`), so a commitment recorded after its due date gets the whole grace.
    `now` is the chain's time. Anyone may establish `overdue` then; the writer batches the calls
    (markOverdueBatch skips any the chain finds ineligible, e.g. after a pause)."""
    rows = session.execute(overdue_unmarked(session, now=now).order_by(col(CommitmentRecord.due_at)).limit(limit)).all()
    commands = [
        NewCommand("mark_overdue", number, project, {"commitment": key}, new_command_id())
        for number, project, key, _due_at, _proof in rows
    ]
    enqueue(session, commands, client="overdue-sweep")
    return [CommandAccepted(command_id=c.id, kind=c.kind, reference=c.reference) for c in commands]
