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

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger.db.models import Commitment as CommitmentView, Payment, Refund
from ledger.db.write_model import CommitmentRecord, OutboxCommand, PaymentConfirmation, RefundRequest
from ledger.domain.common import read_model_chain_id, reference_key_hex
from ledger.writer.outbox import FAILED

# Failures that mean the chain holds the key already (with other figures): the key stays taken.
KEY_ON_CHAIN_ERRORS = frozenset({"FeeLedgerVoucherConflict", "FeeLedgerRefundConflict",
                                 "CommitmentRegistryAlreadyRecorded"})


@dataclass(frozen=True)
class KeyTable:
    row: type  # the write-model table whose primary key is the business key
    key: str  # its column
    chain_table: type  # the read-model table that holds the key once on chain (keccak256 of its normal form)
    chain_key: str


VOUCHERS = KeyTable(PaymentConfirmation, "voucher_number", Payment, "voucher")
REFUNDS = KeyTable(RefundRequest, "refund_reference", Refund, "refund_ref")
COMMITMENTS = KeyTable(CommitmentRecord, "commitment_number", CommitmentView, "commitment")


@dataclass
class KeyStates:
    taken: set[str] = field(default_factory=set)  # recorded, in flight, or on chain: 409
    failed: dict[str, str] = field(default_factory=dict)  # key → the failed command a correction replaces


def key_states(session: Session, table: KeyTable, keys: set[str]) -> KeyStates:
    """Which of `keys` are taken, and which were refused by the chain and may be corrected (one query
    on the write model, one on the read model)."""
    states = KeyStates()
    if not keys:
        return states
    column = getattr(table.row, table.key)
    rows = session.execute(select(column, OutboxCommand.id, OutboxCommand.status, OutboxCommand.error_name)
                           .join(OutboxCommand, OutboxCommand.id == table.row.command_id)
                           .where(column.in_(keys))).all()
    for key, command_id, status, error in rows:
        if status == FAILED and error not in KEY_ON_CHAIN_ERRORS:
            states.failed[key] = command_id
        else:
            states.taken.add(key)
    hashed = {reference_key_hex(key): key for key in keys}
    chain_column = getattr(table.chain_table, table.chain_key)
    query = select(chain_column).where(chain_column.in_(hashed))
    chain_id = read_model_chain_id(session)
    if chain_id is not None:
        query = query.where(table.chain_table.chain_id == chain_id)
    for on_chain in session.execute(query).scalars():
        states.taken.add(hashed[on_chain])
        states.failed.pop(hashed[on_chain], None)
    return states


def replace_failed(session: Session, table: KeyTable, key: str, failed_command_id: str, values: dict) -> bool:
    """Overwrite the failed attempt's row with the correction; False when another correction won."""
    column = getattr(table.row, table.key)
    result = session.execute(update(table.row).where(column == key, table.row.command_id == failed_command_id)
                             .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1
