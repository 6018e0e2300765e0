"""Payment confirmations and refunds from the tax system, and the feed of levies to collect.

A batch of confirmations is checked with one query (its levies and the vouchers already used) and
written with two multi-row INSERTs (confirmations, outbox commands): no per-row round trips.
A voucher number is accepted once, forever: a second confirmation of it is a Conflict naming
`voucher_number`, whatever the idempotency key.
"""

import base64
import time

from sqlalchemy import func, literal, null, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.db.bulk import insert_new
from ledger.db.write_model import Levy, OutboxCommand, PaymentConfirmation as ConfirmationRow, RefundRequest
from ledger.domain.common import from_unix, project_key_hex, reference_key_hex, unix
from ledger.domain.errors import Conflict, DomainError, InvalidState, NotFound, ValidationFailed
from ledger.identifiers import reason_code
from ledger.domain.schemas import (CommandAccepted, ItemProblem, LevyPage, LevyPublic, PaymentBatch,
                                   PaymentBatchResult, PaymentConfirmation, PaymentItemResult, PaymentPublic,
                                   RefundCreate)
from ledger.writer.outbox import FAILED, NewCommand, enqueue, new_command_id

CLOCK_SKEW_SECONDS = 300  # a paid_at further in the future than this is refused


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
    levies, used = _levies_and_used_vouchers(session, confirmations)
    latest_allowed = time.time() + CLOCK_SKEW_SECONDS
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
        elif levy.payer_uscc != c.payer_uscc:
            results.append(ValidationFailed(f"levy {c.levy_number} is not payable by {c.payer_uscc}",
                                            field="payer_uscc", rule="payer_of_levy"))
        elif c.paid_at.timestamp() > latest_allowed:
            results.append(ValidationFailed("paid_at is in the future", field="paid_at", rule="not_in_future"))
        elif c.paid_at.timestamp() < levy.created_at - CLOCK_SKEW_SECONDS:
            results.append(ValidationFailed(f"paid_at is before levy {c.levy_number} was issued", field="paid_at",
                                            rule="not_before_levy"))
        else:
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
        # decides, and what it refused is a conflict like any used voucher (no savepoint, no retry).
        # Sorted: one lock order for every writer, so concurrent batches cannot deadlock.
        inserted = set(session.execute(insert_new(session, ConfirmationRow).returning(ConfirmationRow.voucher_number),
                                       [rows[v] for v in sorted(rows)]).scalars())
        enqueue(session, [command for voucher, command in commands.items() if voucher in inserted], client=client)
        results = [_voucher_taken(r.reference) if isinstance(r, CommandAccepted) and r.reference not in inserted else r
                   for r in results]
    return results


def _levies_and_used_vouchers(session: Session, confirmations: list[PaymentConfirmation]) -> tuple[dict, set[str]]:
    """The levies the confirmations name, and which of their vouchers are already recorded: one round trip."""
    levies = (select(literal("levy").label("found"), Levy.levy_number.label("number"), Levy.project_code,
                     Levy.payer_uscc, Levy.status, Levy.created_at)
              .where(Levy.levy_number.in_({c.levy_number for c in confirmations})))
    vouchers = (select(literal("voucher"), ConfirmationRow.voucher_number, null(), null(), null(), null())
                .where(ConfirmationRow.voucher_number.in_({c.voucher_number for c in confirmations})))
    rows = session.execute(union_all(levies, vouchers)).all()
    return ({row.number: row for row in rows if row.found == "levy"},
            {row.number for row in rows if row.found == "voucher"})


def _voucher_taken(voucher_number: str) -> Conflict:
    return Conflict(f"voucher {voucher_number} is already recorded", field="voucher_number", rule="unique_forever")


def record_refund(session: Session, *, refund: RefundCreate, client: str) -> CommandAccepted:
    levy = session.execute(select(Levy).where(Levy.levy_number == refund.levy_number)).scalars().first()
    if levy is None:
        raise NotFound(f"no levy {refund.levy_number}", field="levy_number", rule="known_levy")
    if session.get(RefundRequest, refund.refund_reference) is not None:
        raise Conflict(f"refund {refund.refund_reference} is already recorded", field="refund_reference",
                       rule="unique_forever")
    paid = session.execute(select(func.coalesce(func.sum(ConfirmationRow.amount_fen), 0)).where(
        ConfirmationRow.project_code == levy.project_code)).scalar_one()
    refunded = session.execute(select(func.coalesce(func.sum(RefundRequest.amount_fen), 0)).where(
        RefundRequest.project_code == levy.project_code)).scalar_one()
    if refund.amount_fen > paid - refunded:
        raise ValidationFailed(f"refund of {refund.amount_fen} fen exceeds the {paid - refunded} fen refundable",
                               field="amount_fen", rule="not_above_refundable")
    command = NewCommand("record_refund", refund.refund_reference, levy.project_code, {
        "project": project_key_hex(levy.project_code), "refund_ref": reference_key_hex(refund.refund_reference),
        "amount_fen": refund.amount_fen, "refunded_at": unix(refund.refunded_at),
        "reason": "0x" + (reason_code(refund.reason_code) if refund.reason_code else bytes(32)).hex()}).with_id()
    session.add(RefundRequest(refund_reference=refund.refund_reference, levy_number=refund.levy_number,
                              project_code=levy.project_code, amount_fen=refund.amount_fen,
                              refunded_at=unix(refund.refunded_at), client=client, command_id=command.id,
                              created_at=time.time()))
    try:
        with session.begin_nested():
            session.flush()
            enqueue(session, [command], client=client)
    except IntegrityError:
        raise Conflict(f"refund {refund.refund_reference} is already recorded", field="refund_reference",
                       rule="unique_forever") from None
    return CommandAccepted(command_id=command.id, kind=command.kind, reference=refund.refund_reference)


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
