"""When a business key (voucher number, refund reference, commitment number) is "already recorded".

A key is taken while the chain holds it (the read model shows it, or the chain refused our command
because it holds the key with other figures) or while our command carrying it is in flight or
landed. Once that command `failed` — the chain refused it and nothing of it is on chain — the key
may be sent again, corrected: a new command (under a new Idempotency-Key) replaces the write-model
row of the failed attempt, which stays in the outbox as the history of the key. The replacement is
a compare-and-set on the failed command's id, so two corrections racing each other make one winner
and one 409, exactly as two first sends do.
"""

from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import CursorResult, literal, null, select, union_all, update
from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.read_model import Commitment as CommitmentView
from ledger.db.read_model import Payment, Refund
from ledger.db.write_model import CommitmentRecord, OutboxCommand, PaymentConfirmation, RefundRequest
from ledger.domain.common import mirrored_chain_id, reference_key_hex
from ledger.outbox.commands import FAILED

ON_CHAIN = "on_chain"  # a key the read model holds
# Failures that mean the chain holds the key already (with other figures): the key stays taken.
KEY_ON_CHAIN_ERRORS = frozenset(
    {"FeeLedgerVoucherConflict", "FeeLedgerRefundConflict", "CommitmentRegistryAlreadyRecorded"}
)


# The write-model tables keyed by a business key, and the read-model tables that hold such keys on chain.
KeyedTable = type[PaymentConfirmation] | type[RefundRequest] | type[CommitmentRecord]
ChainKeyedTable = type[Payment] | type[Refund] | type[CommitmentView]


@dataclass(frozen=True)
class KeyTable:
    row: KeyedTable  # the write-model table whose primary key is the business key
    key: str  # its column
    chain_table: ChainKeyedTable  # the read-model table that holds the key once on chain (keccak256 of its normal form)
    chain_key: str


VOUCHERS = KeyTable(PaymentConfirmation, "voucher_number", Payment, "voucher")
REFUNDS = KeyTable(RefundRequest, "refund_reference", Refund, "refund_ref")
COMMITMENTS = KeyTable(CommitmentRecord, "commitment_number", CommitmentView, "commitment")


@dataclass
class KeyStates:
    taken: set[str] = field(default_factory=set)  # recorded, in flight, or on chain: 409
    failed: dict[str, str] = field(default_factory=dict)  # key → the failed command a correction replaces


def key_states(session: Session, table: KeyTable, keys: set[str]) -> KeyStates:
    """Which of `keys` are taken, and which were refused by the chain and may be corrected: one query
    over the write model and the read model of the chain it mirrors."""
    if not keys:
        return KeyStates()
    return fold_key_rows(table, keys, session.execute(union_all(*key_queries(table, keys))).all())


def key_queries(table: KeyTable, keys: set[str], *padding) -> tuple:
    """The two SELECTs behind key_states — (key, command id, status, error, *padding): our commands
    carrying the keys, and the keys the read model holds — for a caller to UNION with its own lookup."""
    column = getattr(table.row, table.key)
    chain_column = getattr(table.chain_table, table.chain_key)
    ours = (
        select(
            column.label("key"),
            col(OutboxCommand.id),
            col(OutboxCommand.status),
            col(OutboxCommand.error_name),
            *padding,
        )
        .join(OutboxCommand, col(OutboxCommand.id) == col(table.row.command_id))
        .where(column.in_(keys))
    )
    on_chain = select(chain_column, null(), literal(ON_CHAIN), null(), *padding).where(
        chain_column.in_({reference_key_hex(key) for key in keys}),
        col(table.chain_table.chain_id) == mirrored_chain_id(),
    )
    return ours, on_chain


def fold_key_rows(table: KeyTable, keys: set[str], rows) -> KeyStates:
    states = KeyStates()
    hashed = {reference_key_hex(key): key for key in keys}
    for key, command_id, status, error, *_ in rows:
        if status == ON_CHAIN:
            states.taken.add(hashed[key])
        elif status == FAILED and error not in KEY_ON_CHAIN_ERRORS:
            states.failed[key] = command_id
        else:
            states.taken.add(key)
    for key in states.taken:
        states.failed.pop(key, None)
    return states


def replace_failed(session: Session, table: KeyTable, key: str, failed_command_id: str, values: dict) -> bool:
    """Overwrite the failed attempt's row with the correction; False when another correction won."""
    column = getattr(table.row, table.key)
    result = cast(
        CursorResult,  # what an UPDATE answers (Session.execute is typed for any statement)
        session.execute(
            update(table.row)
            .where(column == key, col(table.row.command_id) == failed_command_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    )
    return result.rowcount == 1
