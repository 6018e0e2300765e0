"""The writer's nonces after the database fails under it: a nonce whose transaction was never recorded
is not counted as spent, and a stored transaction left behind a nonce gap (by a writer before that fix)
is released by a no-op filling the gap. On Hardhat (which refuses a transaction with a nonce gap while
automining) and anvil (which queues it for good)."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from ledger.db.write_model import OutboxTransaction
from ledger.domain.commands import command_status
from ledger.writer import store
from ledger.writer.writer import OutboxWriter
from tests.ledger.writer.test_writer import confirm, setup_projects
from tests.support.ledger_env import chain_time, paid_on_chain
from tests.support.samples import payment, project_code

pytestmark = pytest.mark.every_node


def stored_nonces(path, sender: str) -> list[tuple[int, str]]:
    with path.session() as s:
        rows = s.execute(
            select(OutboxTransaction.nonce, OutboxTransaction.status)
            .where(OutboxTransaction.sender == sender)
            .order_by(OutboxTransaction.nonce)
        ).all()
    return [(nonce, status) for nonce, status in rows]


def test_a_signed_transaction_the_database_lost_leaves_its_nonce_to_the_next_one(write_path, monkeypatch):
    setup_projects(write_path, 1)
    at = chain_time(write_path.chain)
    tax = write_path.chain.signers["TAX_ROLE"].address
    first = confirm(write_path, [payment(1, f"V-A{i}", 100, paid_at=at) for i in range(5)])
    record_signed = store.record_signed

    def lost_with_the_database(conn, *args, **kwargs):
        record_signed(conn, *args, **kwargs)
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(store, "record_signed", lost_with_the_database)
    writer = write_path.writer(receipt_timeout=5)  # the same process goes on: a stalled receipt fails fast
    with pytest.raises(OperationalError):
        writer.run_once()
    assert write_path.statuses().get("accepted") == 5  # rolled back: nothing was sent
    monkeypatch.setattr(store, "record_signed", record_signed)

    later = confirm(write_path, [payment(1, f"V-B{i}", 100, paid_at=at) for i in range(5)])
    write_path.drain(writer)
    assert paid_on_chain(write_path.chain, project_code(1)) == 10 * 100
    with write_path.session() as s:
        assert {command_status(s, command_id=i).status for i in first + later} == {"mined"}
    nonces = [nonce for nonce, _ in stored_nonces(write_path, tax)]
    assert nonces == list(range(nonces[0], nonces[0] + len(nonces)))  # no gap


class SkipsANonce(OutboxWriter):
    """A writer that counted a nonce whose transaction the database then lost (the defect before the fix)."""

    skipped = False

    def _next_nonce(self, address: str) -> int:
        nonce = super()._next_nonce(address)
        if not self.skipped:
            self.skipped = True
            self._nonces[address] = nonce = nonce + 1
        return nonce


def test_a_transaction_stored_behind_a_nonce_gap_is_released_by_a_no_op_in_the_gap(write_path):
    setup_projects(write_path, 1)
    at = chain_time(write_path.chain)
    tax = write_path.chain.signers["TAX_ROLE"].address
    ids = confirm(write_path, [payment(1, f"V-{i}", 100, paid_at=at) for i in range(5)])
    gap = int(write_path.chain.w3.eth.get_transaction_count(tax, "pending"))
    stuck = write_path.writer(SkipsANonce, receipt_timeout=2)
    with pytest.raises(Exception, match="no receipt"):
        stuck.run_once()
    assert stored_nonces(write_path, tax)[-1] == (gap + 1, "sent")

    write_path.drain(write_path.writer(receipt_timeout=10))
    assert paid_on_chain(write_path.chain, project_code(1)) == 5 * 100
    with write_path.session() as s:
        assert {command_status(s, command_id=i).status for i in ids} == {"mined"}
    assert stored_nonces(write_path, tax)[-2:] == [(gap, "mined"), (gap + 1, "mined")]  # the no-op, then ours
    assert write_path.chain.w3.eth.get_transaction_count(tax, "latest") == gap + 2
