"""Payment confirmations and refunds from the tax system, and the feed of levies to collect.

A batch of confirmations is checked with one query (its levies and the vouchers already used) and
written with two multi-row INSERTs (confirmations, outbox commands): no per-row round trips.
A voucher number is accepted once, forever: a second confirmation of it is a Conflict naming
`voucher_number`, whatever the idempotency key.
"""

import base64
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.db.bulk import insert_new
from ledger.db.models import GovernanceEvent
from ledger.db.write_model import Levy, OutboxCommand, PaymentConfirmation as ConfirmationRow, RefundRequest
from ledger.domain.business_keys import REFUNDS, VOUCHERS, key_states, replace_failed
from ledger.domain import chain_time
from ledger.domain.chain_time import CLOCK_SKEW_SECONDS
from ledger.domain.common import from_unix, project_key_hex, read_model_chain_id, reference_key_hex, unix
from ledger.domain.errors import Conflict, DomainError, InvalidState, NotFound, ValidationFailed
from ledger.identifiers import reason_code
from ledger.domain.schemas import (CommandAccepted, ItemProblem, LevyPage, LevyPublic, PaymentBatch,
                                   PaymentBatchResult, PaymentConfirmation, PaymentItemResult, PaymentPublic,
                                   RefundCreate)
from ledger.writer.outbox import FAILED, NewCommand, enqueue, new_command_id

MAX_PAID_FEN = 2**64 - 1  # FeeLedger keeps the total paid as a uint64 (FeeLedgerPaidOverflow beyond)

def confirm_payment(session: Session, *, confirmation: PaymentConfirmation, client: str) -> CommandAccepted:
    """Accept one confirmation; raises the DomainError that refuses it."""
    result = _confirm(session, [confirmation], client)[0]
    if isinstance(result, DomainError):
        raise result
    return result


def confirm_payments(session: Session, *, batch: PaymentBatch, client: str) -> PaymentBatchResult:
    """Accept a batch (≤ 500); each item is accepted or refused on its own, with a problem naming the field."""
    items = []
    for index, (item, result) in enumerate(zip(batch.items, _confirm(session, list(batch.items), client))):
        if isinstance(result, DomainError):
            items.append(PaymentItemResult(index=index, voucher_number=item.voucher_number, accepted=False,
                                           problem=ItemProblem(type=result.problem_type, field=result.field,
                                                               rule=result.rule, detail=result.detail)))
        else:
            items.append(PaymentItemResult(index=index, voucher_number=item.voucher_number, accepted=True,
                                           command_id=result.command_id))
    accepted = sum(item.accepted for item in items)
    return PaymentBatchResult(accepted=accepted, rejected=len(items) - accepted, items=items)


def _confirm(session: Session, confirmations: list[PaymentConfirmation], client: str) -> list[CommandAccepted | DomainError]:
    levies = _levies(session, confirmations)
    assessed_at = assessed_at_of(session, {levy.project_code for levy in levies.values()})
    paid = _paid_totals(session, {levy.project_code for levy in levies.values()})
    latest_allowed = chain_time.chain_clock().latest_allowed()
    keys = key_states(session, VOUCHERS, {c.voucher_number for c in confirmations})
    used = set(keys.taken)
    now = time.time()
    results, rows, commands = [], {}, {}
    for c in confirmations:
        levy = levies.get(c.levy_number)
        if c.voucher_number in used:
            results.append(_voucher_taken(c.voucher_number))
        elif levy is None:
            results.append(NotFound(f"no levy {c.levy_number}", field="levy_number", rule="known_levy"))
        elif levy.status != "open":
            results.append(InvalidState(f"levy {c.levy_number} is {levy.status}", field="levy_number",
                                        rule="open_levy"))
        elif levy.command_status == FAILED:
            results.append(InvalidState(f"the chain refused the assessment behind levy {c.levy_number}",
                                        field="levy_number", rule="levy_on_chain"))
        elif levy.payer_uscc != c.payer_uscc:
            results.append(ValidationFailed(f"levy {c.levy_number} is not payable by {c.payer_uscc}",
                                            field="payer_uscc", rule="payer_of_levy"))
        elif problem := fact_time_problem("paid_at", unix(c.paid_at), assessed_at.get(levy.project_code),
                                          latest_allowed):
            results.append(problem)
        elif paid.get(levy.project_code, 0) + c.amount_fen > MAX_PAID_FEN:
            results.append(ValidationFailed("the project's total paid would exceed what the ledger can hold "
                                            "(2^64 − 1 fen)", field="amount_fen", rule="paid_total_in_range"))
        else:
            paid[levy.project_code] = paid.get(levy.project_code, 0) + c.amount_fen
            used.add(c.voucher_number)
            command = NewCommand("record_payment", c.voucher_number, levy.project_code, {
                "project": project_key_hex(levy.project_code), "voucher": reference_key_hex(c.voucher_number),
                "amount_fen": c.amount_fen, "paid_at": unix(c.paid_at)}, new_command_id())
            commands[c.voucher_number] = command
            rows[c.voucher_number] = {
                "voucher_number": c.voucher_number, "levy_number": c.levy_number, "project_code": levy.project_code,
                "amount_fen": c.amount_fen, "paid_at": unix(c.paid_at), "payer_uscc": c.payer_uscc, "client": client,
                "command_id": command.id, "created_at": now}
            results.append(CommandAccepted(command_id=command.id, kind=command.kind, reference=c.voucher_number))
    if rows:
        # A concurrent request may record a voucher between our check and this insert: the primary key
        # (or, for a correction, the failed command's id) decides, and what it refused is a conflict like
        # any used voucher (no savepoint, no retry). Sorted: one lock order for every writer, so
        # concurrent batches cannot deadlock.
        new = [rows[v] for v in sorted(rows) if v not in keys.failed]
        inserted = set(session.execute(insert_new(session, ConfirmationRow).returning(ConfirmationRow.voucher_number),
                                       new).scalars()) if new else set()
        inserted |= {v for v in sorted(rows) if v in keys.failed
                     and replace_failed(session, VOUCHERS, v, keys.failed[v], rows[v])}
        enqueue(session, [command for voucher, command in commands.items() if voucher in inserted], client=client)
        results = [_voucher_taken(r.reference) if isinstance(r, CommandAccepted) and r.reference not in inserted else r
                   for r in results]
    return results


def _levies(session: Session, confirmations: list[PaymentConfirmation]) -> dict:
    """The levies the confirmations name, with the status of the command that opened each: one round trip."""
    rows = session.execute(
        select(Levy.levy_number, Levy.project_code, Levy.payer_uscc, Levy.status, Levy.created_at,
               OutboxCommand.status.label("command_status"))
        .outerjoin(OutboxCommand, OutboxCommand.id == Levy.command_id)
        .where(Levy.levy_number.in_({c.levy_number for c in confirmations}))).all()
    return {row.levy_number: row for row in rows}


def _paid_totals(session: Session, project_codes: set[str]) -> dict[str, int]:
    """What each project paid by the confirmations whose commands did not fail."""
    if not project_codes:
        return {}
    rows = session.execute(
        select(ConfirmationRow.project_code, func.sum(ConfirmationRow.amount_fen))
        .join(OutboxCommand, OutboxCommand.id == ConfirmationRow.command_id)
        .where(ConfirmationRow.project_code.in_(project_codes), OutboxCommand.status != FAILED)
        .group_by(ConfirmationRow.project_code)).all()
    return {project: int(total) for project, total in rows}


def assessed_at_of(session: Session, project_codes: set[str]) -> dict[str, int]:
    """Each project's assessment fact time as the chain keeps it: the issue time of its first
    assessment levy whose command did not fail (FeeLedger keeps the first assessment's `assessedAt`)."""
    if not project_codes:
        return {}
    rows = session.execute(
        select(Levy.project_code, func.min(Levy.created_at)).join(OutboxCommand, OutboxCommand.id == Levy.command_id)
        .where(Levy.project_code.in_(project_codes), Levy.kind == "assessment", OutboxCommand.status != FAILED)
        .group_by(Levy.project_code)).all()
    return {project: int(created) for project, created in rows}


def fact_time_problem(field: str, moment: int, assessed_at: int | None, latest_allowed: int) -> DomainError | None:
    """The contract's bounds of a payment's or refund's time: not before the assessment's fact time,
    not after the chain's time + CLOCK_SKEW (see ledger.domain.chain_time)."""
    if assessed_at is None:
        return InvalidState("the project's assessment was refused by the chain", field="levy_number",
                            rule="levy_on_chain")
    if moment < assessed_at:
        return ValidationFailed(f"{field} is before the assessment's time {from_unix(assessed_at).isoformat()}",
                                field=field, rule="not_before_assessment")
    if moment > latest_allowed:
        return ValidationFailed(f"{field} is more than 15 minutes after the chain's time "
                                f"{from_unix(latest_allowed - CLOCK_SKEW_SECONDS).isoformat()}", field=field,
                                rule="not_after_chain_time")
    return None


def _voucher_taken(voucher_number: str) -> Conflict:
    return Conflict(f"voucher {voucher_number} is already recorded (on chain or on its way)", field="voucher_number",
                    rule="unique_forever")


def record_refund(session: Session, *, refund: RefundCreate, client: str) -> CommandAccepted:
    """Accept a refund paid out: its reference is new (or its earlier command failed: a correction),
    its time within the contract's bounds, its amount within what the project paid net of refunds
    (commands that failed do not count)."""
    levy = _levies(session, [refund]).get(refund.levy_number)
    if levy is None:
        raise NotFound(f"no levy {refund.levy_number}", field="levy_number", rule="known_levy")
    keys = key_states(session, REFUNDS, {refund.refund_reference})
    if keys.taken:
        raise _refund_taken(refund.refund_reference)
    if problem := fact_time_problem("refunded_at", unix(refund.refunded_at),
                                    assessed_at_of(session, {levy.project_code}).get(levy.project_code),
                                    chain_time.chain_clock().latest_allowed()):
        raise problem
    if refund.reason_code and not _refund_reason_allowed(session, refund.reason_code):
        raise ValidationFailed(f"reason code {refund.reason_code} is not allowed on chain for refunds",
                               field="reason_code", rule="allowed_on_chain")
    refundable = _net_paid(session, levy.project_code)
    if refund.amount_fen > refundable:
        raise ValidationFailed(f"refund of {refund.amount_fen} fen exceeds the {refundable} fen refundable",
                               field="amount_fen", rule="not_above_refundable")
    command = NewCommand("record_refund", refund.refund_reference, levy.project_code, {
        "project": project_key_hex(levy.project_code), "refund_ref": reference_key_hex(refund.refund_reference),
        "amount_fen": refund.amount_fen, "refunded_at": unix(refund.refunded_at),
        "reason": "0x" + (reason_code(refund.reason_code) if refund.reason_code else bytes(32)).hex()}).with_id()
    row = {"refund_reference": refund.refund_reference, "levy_number": refund.levy_number,
           "project_code": levy.project_code, "amount_fen": refund.amount_fen, "refunded_at": unix(refund.refunded_at),
           "client": client, "command_id": command.id, "created_at": time.time()}
    failed = keys.failed.get(refund.refund_reference)
    if failed is not None:
        recorded = replace_failed(session, REFUNDS, refund.refund_reference, failed, row)
    else:
        recorded = bool(session.execute(insert_new(session, RefundRequest).returning(RefundRequest.refund_reference),
                                        [row]).scalars().all())
    if not recorded:  # a concurrent request took the reference between our check and our write
        raise _refund_taken(refund.refund_reference)
    enqueue(session, [command], client=client)
    return CommandAccepted(command_id=command.id, kind=command.kind, reference=refund.refund_reference)


def _refund_reason_allowed(session: Session, code: str) -> bool:
    """Whether the admin's latest RefundReasonAllowed for the code (as the read model mirrors it) allows it."""
    query = select(GovernanceEvent.value).where(GovernanceEvent.event == "RefundReasonAllowed",
                                                GovernanceEvent.key.in_([code, "0x" + reason_code(code).hex()]))
    if (chain_id := read_model_chain_id(session)) is not None:
        query = query.where(GovernanceEvent.chain_id == chain_id)
    latest = session.execute(query.order_by(GovernanceEvent.block_number.desc(), GovernanceEvent.log_index.desc())
                             .limit(1)).scalar()
    return latest == "true"


def _net_paid(session: Session, project_code: str) -> int:
    """What the project paid less what was refunded, by the commands that did not fail."""
    def total(row, amount):
        return session.execute(select(func.coalesce(func.sum(amount), 0))
                               .join(OutboxCommand, OutboxCommand.id == row.command_id)
                               .where(row.project_code == project_code, OutboxCommand.status != FAILED)).scalar_one()
    return int(total(ConfirmationRow, ConfirmationRow.amount_fen)) - int(total(RefundRequest, RefundRequest.amount_fen))


def _refund_taken(refund_reference: str) -> Conflict:
    return Conflict(f"refund {refund_reference} is already recorded (on chain or on its way)", field="refund_reference",
                    rule="unique_forever")


def levies_feed(session: Session, *, cursor: str | None = None, limit: int = 100) -> LevyPage:
    """Levies in creation order; pass `next_cursor` back to continue (opaque to the client)."""
    if not 1 <= limit <= 500:
        raise ValidationFailed("limit must be between 1 and 500", field="limit", rule="range_1_500")
    after = _decode_cursor(cursor)
    levies = list(session.execute(select(Levy).where(Levy.seq > after).order_by(Levy.seq).limit(limit)).scalars())
    items = _levies_public(session, levies)
    next_cursor = _encode_cursor(levies[-1].seq) if len(levies) == limit else None
    return LevyPage(items=items, next_cursor=next_cursor)


def levies_of_enterprise(session: Session, *, uscc: str) -> list[LevyPublic]:
    levies = session.execute(select(Levy).where(Levy.payer_uscc == uscc).order_by(Levy.seq)).scalars()
    return _levies_public(session, list(levies))


def payments_of_enterprise(session: Session, *, uscc: str) -> list[PaymentPublic]:
    rows = session.execute(
        select(ConfirmationRow, OutboxCommand.status).join(OutboxCommand, OutboxCommand.id == ConfirmationRow.command_id)
        .where(ConfirmationRow.payer_uscc == uscc).order_by(ConfirmationRow.paid_at)).all()
    return [PaymentPublic(voucher_number=r.voucher_number, levy_number=r.levy_number, project_code=r.project_code,
                          amount_fen=r.amount_fen, paid_at=from_unix(r.paid_at), command_id=r.command_id,
                          status=status) for r, status in rows]


def _levies_public(session: Session, levies: list[Levy]) -> list[LevyPublic]:
    numbers = [levy.levy_number for levy in levies]
    confirmed = dict(session.execute(
        select(ConfirmationRow.levy_number, func.sum(ConfirmationRow.amount_fen))
        .join(OutboxCommand, OutboxCommand.id == ConfirmationRow.command_id)
        .where(ConfirmationRow.levy_number.in_(numbers), OutboxCommand.status != FAILED)
        .group_by(ConfirmationRow.levy_number)).all()) if numbers else {}
    items = []
    for levy in levies:
        paid = int(confirmed.get(levy.levy_number, 0))
        status = levy.status if levy.status != "open" else ("paid" if paid >= levy.amount_fen else "open")
        items.append(LevyPublic(levy_number=levy.levy_number, project_code=levy.project_code,
                                payer_uscc=levy.payer_uscc, kind=levy.kind, amount_fen=levy.amount_fen,
                                confirmed_fen=paid, status=status, created_at=from_unix(levy.created_at)))
    return items


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"levy:{seq}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, _, seq = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition(":")
        if kind != "levy":
            raise ValueError(kind)
        return int(seq)
    except ValueError:
        raise ValidationFailed("not a cursor this feed issued", field="cursor", rule="opaque_cursor") from None
