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
from ledger.chain.rpc import JsonRpc
from ledger.writer.writer import OutboxWriter, WriterConfig
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


class WriterDied(Exception):
    pass


class DiesAfterSending(OutboxWriter):
    """A writer that dies once its transactions are sent, before it reads any receipt."""

    def _settle(self, sent):
        if sent:
            raise WriterDied
        return 0


class MinesOnBroadcast(OutboxWriter):
    """On a node that does not automine: each broadcast is followed by a block."""

    def _broadcast(self, sent):
        super()._broadcast(sent)
        self.rpc.call("evm_mine")


def test_a_transaction_pending_in_the_node_that_the_writer_did_not_send_is_never_replaced_by_a_filler(write_path):
    setup_projects(write_path, 1)
    at = chain_time(write_path.chain)
    w3, tax = write_path.chain.w3, write_path.chain.signers["TAX_ROLE"]
    ids = confirm(write_path, [payment(1, "V-1", 100, paid_at=at)])
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        nonce = w3.eth.get_transaction_count(tax.address, "latest")
        outside = tax.sign_transaction(
            {
                "chainId": write_path.chain.manifest.chain_id,
                "nonce": nonce,
                "gasPrice": w3.eth.gas_price,
                "gas": 21_000,
                "to": tax.address,
                "value": 1,
            }
        )
        w3.eth.send_raw_transaction(outside.raw_transaction)  # the same key, outside the writer: pending
        with pytest.raises(WriterDied):
            write_path.writer(DiesAfterSending).run_once()
        assert stored_nonces(write_path, tax.address)[-1] == (nonce + 1, "sent")  # ours, above the outsider's

        write_path.drain(write_path.writer(MinesOnBroadcast, receipt_timeout=10))
    finally:
        w3.provider.make_request("evm_setAutomine", [True])
    assert w3.eth.get_transaction_receipt(outside.hash)["status"] == 1  # the outsider landed, not replaced
    assert nonce not in [n for n, _ in stored_nonces(write_path, tax.address)]  # no filler was signed for it
    with write_path.session() as s:
        assert {command_status(s, command_id=i).status for i in ids} == {"mined"}


class SkipsANonceAndDies(SkipsANonce, DiesAfterSending):
    pass


def test_a_stored_transaction_of_a_sender_no_longer_a_signer_never_breaks_a_round(write_path, caplog):
    setup_projects(write_path, 1)
    at = chain_time(write_path.chain)
    tax = write_path.chain.signers["TAX_ROLE"].address
    confirm(write_path, [payment(1, "V-1", 100, paid_at=at)])
    with pytest.raises(WriterDied):
        write_path.writer(SkipsANonceAndDies).run_once()  # stored behind a gap, then the tax key is rotated out
    gap = write_path.chain.w3.eth.get_transaction_count(tax, "pending")
    assert stored_nonces(write_path, tax)[-1] == (gap + 1, "sent")

    rotated = OutboxWriter(
        engine=write_path.engine,
        rpc=JsonRpc(write_path.chain.node.url, timeout=10),
        manifest=write_path.chain.manifest,
        signers={r: a for r, a in write_path.chain.signers.items() if r != "TAX_ROLE"},
        owner="writer-under-test",
        config=WriterConfig(receipt_timeout=10),
    )
    rotated.run_once()  # no KeyError: the round goes on
    assert stored_nonces(write_path, tax)[-1] == (gap + 1, "sent")
    assert "no longer a signer" in caplog.text

    write_path.drain(write_path.writer(receipt_timeout=10))  # the key is back: the gap is filled
    assert stored_nonces(write_path, tax)[-2:] == [(gap, "mined"), (gap + 1, "mined")]
