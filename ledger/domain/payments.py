"""Payment confirmations and refunds from the tax system, and the feed of levies to collect.

A batch of confirmations is checked with one query (its levies and the vouchers already used) and
two of the read model (its projects' accounts as the chain holds them, e.g. imported by a migration),
and written with two multi-row INSERTs (confirmations, outbox commands): no per-row round trips.
A voucher number is accepted once, forever: a second confirmation of it is a Conflict naming
`voucher_number`, whatever the idempotency key.
"""

import base64
import time
from dataclasses import dataclass

from sqlalchemy import func, literal, null, select, union_all
from sqlalchemy.orm import Session, aliased
from sqlmodel import col

from ledger.core.identifiers import reason_code
from ledger.db.bulk import insert_new
from ledger.db.write_model import Levy, OutboxCommand, RefundRequest
from ledger.db.write_model import PaymentConfirmation as ConfirmationRow
from ledger.domain import chain_time
from ledger.domain.business_keys import (
    REFUNDS,
    VOUCHERS,
    KeyStates,
    fold_key_rows,
    key_queries,
    key_states,
    replace_failed,
)
from ledger.domain.chain_accounts import ChainAccount, chain_account, chain_accounts
from ledger.domain.chain_time import CLOCK_SKEW_SECONDS
from ledger.domain.common import from_unix, project_key_hex, reference_key_hex, unix
from ledger.domain.errors import Conflict, DomainError, InvalidState, NotFound, ValidationFailed
from ledger.domain.schemas.common import CommandAccepted
from ledger.domain.schemas.enterprise import PaymentPublic
from ledger.domain.schemas.tax import (
    ItemProblem,
    LevyPage,
    LevyPublic,
    PaymentBatch,
    PaymentBatchResult,
    PaymentConfirmation,
    PaymentItemResult,
    RefundCreate,
)
from ledger.outbox.commands import FAILED, NewCommand, enqueue, new_command_id

MAX_PAID_FEN = 2**64 - 1  # FeeLedger keeps the totals paid and refunded as uint64 (…PaidOverflow, …RefundedOverflow)


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
            items.append(
                PaymentItemResult(
                    index=index,
                    voucher_number=item.voucher_number,
                    accepted=False,
                    problem=ItemProblem(
                        type=result.problem_type, field=result.field, rule=result.rule, detail=result.detail
                    ),
                )
            )
        else:
            items.append(
                PaymentItemResult(
                    index=index, voucher_number=item.voucher_number, accepted=True, command_id=result.command_id
                )
            )
    accepted = sum(item.accepted for item in items)
    return PaymentBatchResult(accepted=accepted, rejected=len(items) - accepted, items=items)


def _confirm(
    session: Session, confirmations: list[PaymentConfirmation], client: str
) -> list[CommandAccepted | DomainError]:
    levies, keys = _levies_and_vouchers(session, confirmations)
    accounts = chain_accounts(session, {levy.project_code for levy in levies.values()})
    assessed_at = {levy.project_code: _assessed_at(levy, accounts.get(levy.project_code)) for levy in levies.values()}
    paid = {levy.project_code: _paid_total(levy, accounts.get(levy.project_code)) for levy in levies.values()}
    latest_allowed = chain_time.chain_clock().latest_allowed()
    used = set(keys.taken)
    now = time.time()
    results: list[CommandAccepted | DomainError] = []
    rows: dict[str, dict] = {}
    commands: dict[str, NewCommand] = {}
    for c in confirmations:
        levy = levies.get(c.levy_number)
        if c.voucher_number in used:
            results.append(_voucher_taken(c.voucher_number))
        elif levy is None:
            results.append(NotFound(f"no levy {c.levy_number}", field="levy_number", rule="known_levy"))
        elif levy.status != "open":
            results.append(
                InvalidState(f"levy {c.levy_number} is {levy.status}", field="levy_number", rule="open_levy")
            )
        elif levy.command_status == FAILED:
            results.append(
                InvalidState(
                    f"the chain refused the assessment behind levy {c.levy_number}",
                    field="levy_number",
                    rule="levy_on_chain",
                )
            )
        elif levy.payer_uscc != c.payer_uscc:
            results.append(
                ValidationFailed(
                    f"levy {c.levy_number} is not payable by {c.payer_uscc}", field="payer_uscc", rule="payer_of_levy"
                )
            )
        elif problem := fact_time_problem(
            "paid_at", unix(c.paid_at), assessed_at.get(levy.project_code), latest_allowed
        ):
            results.append(problem)
        elif paid.get(levy.project_code, 0) + c.amount_fen > MAX_PAID_FEN:
            results.append(
                ValidationFailed(
                    "the project's total paid would exceed what the ledger can hold (2^64 − 1 fen)",
                    field="amount_fen",
                    rule="paid_total_in_range",
                )
            )
        else:
            paid[levy.project_code] = paid.get(levy.project_code, 0) + c.amount_fen
            used.add(c.voucher_number)
            command = NewCommand(
                "record_payment",
                c.voucher_number,
                levy.project_code,
                {
                    "project": project_key_hex(levy.project_code),
                    "voucher": reference_key_hex(c.voucher_number),
                    "amount_fen": c.amount_fen,
                    "paid_at": unix(c.paid_at),
                },
                new_command_id(),
            )
            commands[c.voucher_number] = command
            rows[c.voucher_number] = {
                "voucher_number": c.voucher_number,
                "levy_number": c.levy_number,
                "project_code": levy.project_code,
                "amount_fen": c.amount_fen,
                "paid_at": unix(c.paid_at),
                "payer_uscc": c.payer_uscc,
                "client": client,
                "command_id": command.id,
                "created_at": now,
            }
            results.append(CommandAccepted(command_id=command.id, kind=command.kind, reference=c.voucher_number))
    if rows:
        # A concurrent request may record a voucher between our check and this insert: the primary key
        # (or, for a correction, the failed command's id) decides, and what it refused is a conflict like
        # any used voucher (no savepoint, no retry). Sorted: one lock order for every writer, so
        # concurrent batches cannot deadlock.
        new = [rows[v] for v in sorted(rows) if v not in keys.failed]
        inserted = (
            set(
                session.execute(
                    insert_new(session, ConfirmationRow).returning(col(ConfirmationRow.voucher_number)), new
                ).scalars()
            )
            if new
            else set()
        )
        inserted |= {
            v
            for v in sorted(rows)
            if v in keys.failed and replace_failed(session, VOUCHERS, v, keys.failed[v], rows[v])
        }
        enqueue(session, [command for voucher, command in commands.items() if voucher in inserted], client=client)
        results = [
            _voucher_taken(r.reference) if isinstance(r, CommandAccepted) and r.reference not in inserted else r
            for r in results
        ]
    return results


@dataclass(frozen=True)
class _LevyFacts:
    levy_number: str
    project_code: str
    payer_uscc: str
    status: str
    command_status: str | None  # of the command that opened the levy
    assessed_at: int | None  # the project's assessment fact time, as the chain keeps it
    paid_fen: int  # what the project paid by the confirmations whose commands did not fail


def _levies(session: Session, requests: list) -> dict[str, _LevyFacts]:
    """The levies the requests name, with what the chain judges payments by."""
    rows = session.execute(_levy_query({r.levy_number for r in requests})).all()
    return _levy_facts(rows)


def _levies_and_vouchers(session: Session, confirmations: list[PaymentConfirmation]) -> tuple[dict, KeyStates]:
    """The levies, and the state of the vouchers (taken, or failed and correctable): one round trip."""
    vouchers = {c.voucher_number for c in confirmations}
    levies = _levy_query({c.levy_number for c in confirmations})
    rows = session.execute(union_all(levies, *key_queries(VOUCHERS, vouchers, *[null()] * 5))).all()
    return (
        _levy_facts([r for r in rows if r[2] == LEVY]),
        fold_key_rows(VOUCHERS, vouchers, [r for r in rows if r[2] != LEVY]),
    )


LEVY = "levy"  # tags the levy rows of the union (in the status column of the key rows)


def _levy_query(levy_numbers: set[str]):
    """(levy number, project, tag, payer, levy status, command status, assessment fact time, paid high,
    paid low). The assessment fact time is the issue time of the project's first assessment levy whose
    command did not fail (FeeLedger keeps the first assessment's `assessedAt`)."""
    assessment, command = aliased(Levy), aliased(OutboxCommand)
    assessed_at = (
        select(func.min(col(assessment.created_at)))
        .join(command, col(command.id) == col(assessment.command_id))
        .where(
            col(assessment.project_code) == col(Levy.project_code),
            col(assessment.kind) == "assessment",
            col(command.status) != FAILED,
        )
        .scalar_subquery()
    )
    paid_high, paid_low = (
        select(total)
        .join(command, col(command.id) == col(ConfirmationRow.command_id))
        .where(col(ConfirmationRow.project_code) == col(Levy.project_code), col(command.status) != FAILED)
        .scalar_subquery()
        for total in _exact_sum(col(ConfirmationRow.amount_fen))
    )
    return (
        select(
            col(Levy.levy_number),
            col(Levy.project_code),
            literal(LEVY),
            col(Levy.payer_uscc),
            col(Levy.status),
            col(OutboxCommand.status),
            assessed_at,
            paid_high,
            paid_low,
        )
        .outerjoin(OutboxCommand, col(OutboxCommand.id) == col(Levy.command_id))
        .where(col(Levy.levy_number).in_(levy_numbers))
    )


def _assessed_at(levy: _LevyFacts, account: ChainAccount | None) -> int | None:
    """The assessment fact time the chain judges by: the read model's account's where it has one (an
    imported account's, or a levy created before v3 whose wall-clock issue time the chain never held),
    else the issue time of the first assessment levy."""
    if levy.assessed_at is None:
        return None  # the assessment behind the levy failed
    return account.assessed_at if account is not None and account.assessed_at is not None else levy.assessed_at


def _paid_total(levy: _LevyFacts, account: ChainAccount | None) -> int:
    if account is None:
        return levy.paid_fen
    return _chain_total(ours=levy.paid_fen, imported=account.imported_paid_fen, indexed=account.paid_fen)


def _chain_total(*, ours: int, imported: int, indexed: int) -> int:
    """A project's total (paid or refunded) as the chain will hold it: what a migration imported plus
    our commands that did not fail, or the read model's total if that is larger (one not sent by us)."""
    return max(indexed, imported + ours)


def _levy_facts(rows) -> dict[str, _LevyFacts]:
    return {
        number: _LevyFacts(
            number,
            project,
            payer,
            status,
            command_status,
            None if assessed is None else int(assessed),
            (int(high or 0) << 32) + int(low or 0),
        )
        for number, project, _, payer, status, command_status, assessed, high, low in rows
    }


def _exact_sum(amount) -> tuple:
    """SUM of a BIGINT column in two halves: a total beyond 2^63 overflows SQLite's SUM (and a float
    TOTAL is not exact), the halves' sums never do."""
    return func.coalesce(func.sum(amount // 2**32), 0), func.coalesce(func.sum(amount % 2**32), 0)


def fact_time_problem(field: str, moment: int, assessed_at: int | None, latest_allowed: int) -> DomainError | None:
    """The contract's bounds of a payment's or refund's time: not before the assessment's fact time,
    not after the chain's time + CLOCK_SKEW (see ledger.domain.chain_time)."""
    if assessed_at is None:
        return InvalidState(
            "the project's assessment was refused by the chain", field="levy_number", rule="levy_on_chain"
        )
    if moment < assessed_at:
        return ValidationFailed(
            f"{field} is before the assessment's time {from_unix(assessed_at).isoformat()}",
            field=field,
            rule="not_before_assessment",
        )
    if moment > latest_allowed:
        return ValidationFailed(
            f"{field} is more than 15 minutes after the chain's time "
            f"{from_unix(latest_allowed - CLOCK_SKEW_SECONDS).isoformat()}",
            field=field,
            rule="not_after_chain_time",
        )
    return None


def _voucher_taken(voucher_number: str) -> Conflict:
    return Conflict(
        f"voucher {voucher_number} is already recorded (on chain or on its way)",
        field="voucher_number",
        rule="unique_forever",
    )


def record_refund(session: Session, *, refund: RefundCreate, client: str) -> CommandAccepted:
    """Accept a refund paid out: its reference is new (or its earlier command failed: a correction)
    and its time within the contract's bounds. FeeLedger v3 records every real refund: one beyond
    what is refundable is recorded and flagged on chain (OverRefundFlagged), never refused."""
    levy = _levies(session, [refund]).get(refund.levy_number)
    if levy is None:
        raise NotFound(f"no levy {refund.levy_number}", field="levy_number", rule="known_levy")
    keys = key_states(session, REFUNDS, {refund.refund_reference})
    if keys.taken:
        raise _refund_taken(refund.refund_reference)
    account = chain_account(session, levy.project_code)
    if problem := fact_time_problem(
        "refunded_at", unix(refund.refunded_at), _assessed_at(levy, account), chain_time.chain_clock().latest_allowed()
    ):
        raise problem
    refunded = _refunded_total(session, levy.project_code)
    if account is not None:
        refunded = _chain_total(ours=refunded, imported=account.imported_refunded_fen, indexed=account.refunded_fen)
    if refunded + refund.amount_fen > MAX_PAID_FEN:
        raise ValidationFailed(
            "the project's total refunded would exceed what the ledger can hold (2^64 − 1 fen)",
            field="amount_fen",
            rule="refunded_total_in_range",
        )
    command = NewCommand(
        "record_refund",
        refund.refund_reference,
        levy.project_code,
        {
            "project": project_key_hex(levy.project_code),
            "refund_ref": reference_key_hex(refund.refund_reference),
            "amount_fen": refund.amount_fen,
            "refunded_at": unix(refund.refunded_at),
            "reason": "0x" + (reason_code(refund.reason_code) if refund.reason_code else bytes(32)).hex(),
        },
    ).with_id()
    row = {
        "refund_reference": refund.refund_reference,
        "levy_number": refund.levy_number,
        "project_code": levy.project_code,
        "amount_fen": refund.amount_fen,
        "refunded_at": unix(refund.refunded_at),
        "client": client,
        "command_id": command.id,
        "created_at": time.time(),
    }
    failed = keys.failed.get(refund.refund_reference)
    if failed is not None:
        recorded = replace_failed(session, REFUNDS, refund.refund_reference, failed, row)
    else:
        recorded = bool(
            session.execute(insert_new(session, RefundRequest).returning(col(RefundRequest.refund_reference)), [row])
            .scalars()
            .all()
        )
    if not recorded:  # a concurrent request took the reference between our check and our write
        raise _refund_taken(refund.refund_reference)
    enqueue(session, [command], client=client)
    return CommandAccepted(command_id=command.id, kind=command.kind, reference=refund.refund_reference)


def _refunded_total(session: Session, project_code: str) -> int:
    """What the project's refunds add up to, by the commands that did not fail."""
    high, low = session.execute(
        select(*_exact_sum(col(RefundRequest.amount_fen)))
        .join(OutboxCommand, col(OutboxCommand.id) == col(RefundRequest.command_id))
        .where(col(RefundRequest.project_code) == project_code, col(OutboxCommand.status) != FAILED)
    ).one()
    return (int(high) << 32) + int(low)


def _refund_taken(refund_reference: str) -> Conflict:
    return Conflict(
        f"refund {refund_reference} is already recorded (on chain or on its way)",
        field="refund_reference",
        rule="unique_forever",
    )


def levies_feed(session: Session, *, cursor: str | None = None, limit: int = 100) -> LevyPage:
    """Levies in creation order; pass `next_cursor` back to continue (opaque to the client)."""
    if not 1 <= limit <= 500:
        raise ValidationFailed("limit must be between 1 and 500", field="limit", rule="range_1_500")
    after = _decode_cursor(cursor)
    levies = list(
        session.execute(select(Levy).where(col(Levy.seq) > after).order_by(col(Levy.seq)).limit(limit)).scalars()
    )
    items = _levies_public(session, levies)
    last = levies[-1].seq if len(levies) == limit else None  # (a stored levy has its seq)
    next_cursor = _encode_cursor(last) if last is not None else None
    return LevyPage(items=items, next_cursor=next_cursor)


def levies_of_enterprise(session: Session, *, uscc: str) -> list[LevyPublic]:
    levies = session.execute(select(Levy).where(col(Levy.payer_uscc) == uscc).order_by(col(Levy.seq))).scalars()
    return _levies_public(session, list(levies))


def payments_of_enterprise(session: Session, *, uscc: str) -> list[PaymentPublic]:
    rows = session.execute(
        select(ConfirmationRow, col(OutboxCommand.status))
        .join(OutboxCommand, col(OutboxCommand.id) == col(ConfirmationRow.command_id))
        .where(col(ConfirmationRow.payer_uscc) == uscc)
        .order_by(col(ConfirmationRow.paid_at))
    ).all()
    return [
        PaymentPublic(
            voucher_number=r.voucher_number,
            levy_number=r.levy_number,
            project_code=r.project_code,
            amount_fen=r.amount_fen,
            paid_at=from_unix(r.paid_at),
            command_id=r.command_id,
            status=status,
        )
        for r, status in rows
    ]


def _levies_public(session: Session, levies: list[Levy]) -> list[LevyPublic]:
    numbers = [levy.levy_number for levy in levies]
    confirmed = (
        dict(
            session.execute(
                select(col(ConfirmationRow.levy_number), func.sum(col(ConfirmationRow.amount_fen)))
                .join(OutboxCommand, col(OutboxCommand.id) == col(ConfirmationRow.command_id))
                .where(col(ConfirmationRow.levy_number).in_(numbers), col(OutboxCommand.status) != FAILED)
                .group_by(col(ConfirmationRow.levy_number))
            )
            .tuples()
            .all()
        )
        if numbers
        else {}
    )
    items = []
    for levy in levies:
        paid = int(confirmed.get(levy.levy_number, 0))
        status = levy.status if levy.status != "open" else ("paid" if paid >= levy.amount_fen else "open")
        items.append(
            LevyPublic(
                levy_number=levy.levy_number,
                project_code=levy.project_code,
                payer_uscc=levy.payer_uscc,
                kind=levy.kind,
                amount_fen=levy.amount_fen,
                confirmed_fen=paid,
                status=status,
                created_at=from_unix(levy.created_at),
            )
        )
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
