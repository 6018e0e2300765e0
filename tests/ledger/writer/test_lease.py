"""The writer's lease: one writer per chain signs with the shared nonces, by the database's clock,
and a writer that lost the lease writes and sends nothing."""

import time

import pytest
from sqlalchemy import func, select

from ledger.core.errors import LeaseLost
from ledger.db.write_model import OutboxTransaction
from ledger.writer.writer import OutboxWriter
from tests.ledger.writer.test_writer import confirm, setup_projects
from tests.support.ledger_env import chain_time, paid_on_chain
from tests.support.samples import payment, project_code

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


def test_a_writer_whose_host_clock_runs_a_century_ahead_cannot_take_a_live_lease(write_path, monkeypatch):
    active = write_path.writer(owner="active")
    assert active.run_once() is not None
    monkeypatch.setattr(time, "time", lambda: 4_000_000_000.0)
    standby = write_path.writer(owner="standby")
    assert standby.run_once() is None


class LosesItsLeaseBeforeSigning(OutboxWriter):
    """A writer paused (a long GC, a slow disk) between claiming its commands and signing them,
    while another writer takes the expired lease."""

    def _sign_and_send(self, *args):
        time.sleep(0.01)  # past its lease of 0 s, by the database's clock too
        thief = type(self).thief
        with self.engine.begin() as conn:
            assert thief.lease.acquire(conn)
        return super()._sign_and_send(*args)


def test_a_writer_that_lost_its_lease_signs_sends_and_writes_nothing(write_path):
    setup_projects(write_path, 1)
    chain = write_path.chain
    at = chain_time(chain)
    confirm(write_path, [payment(1, f"V-{i}", 100, paid_at=at) for i in range(5)])
    tax = chain.signers["TAX_ROLE"].address
    nonce, statuses = chain.w3.eth.get_transaction_count(tax, "pending"), write_path.statuses()
    with write_path.session() as s:
        transactions = s.execute(select(func.count()).select_from(OutboxTransaction)).scalar_one()

    LosesItsLeaseBeforeSigning.thief = write_path.writer(owner="another writer")
    slow = write_path.writer(LosesItsLeaseBeforeSigning, lease_seconds=0.0)
    with pytest.raises(LeaseLost, match="the lease passed to another writer"):
        slow.run_once()
    assert slow._nonces == {}  # forgotten: the other writer spends them now
    assert write_path.statuses() == statuses
    with write_path.session() as s:
        assert s.execute(select(func.count()).select_from(OutboxTransaction)).scalar_one() == transactions
    assert chain.w3.eth.get_transaction_count(tax, "pending") == nonce
    assert paid_on_chain(chain, project_code(1)) == 0

    write_path.drain(LosesItsLeaseBeforeSigning.thief)
    assert paid_on_chain(chain, project_code(1)) == 5 * 100  # each payment once, by the lease's holder


class LosesItsLeaseWhileWaitingForReceipts(OutboxWriter):
    """A writer whose lease passes to another writer while it waits for its receipts."""

    def _wait_receipt(self, tx):
        receipt = super()._wait_receipt(tx)
        time.sleep(0.01)
        with self.engine.begin() as conn:
            assert type(self).thief.lease.acquire(conn)
        return receipt


def test_a_writer_that_lost_its_lease_while_waiting_records_no_receipt_and_the_holder_settles_it(write_path):
    setup_projects(write_path, 1)
    at = chain_time(write_path.chain)
    confirm(write_path, [payment(1, f"V-{i}", 100, paid_at=at) for i in range(5)])

    LosesItsLeaseWhileWaitingForReceipts.thief = write_path.writer(owner="another writer")
    slow = write_path.writer(LosesItsLeaseWhileWaitingForReceipts, lease_seconds=0.0)
    with pytest.raises(LeaseLost):
        slow.run_once()
    assert write_path.statuses().get("submitted") == 5  # sent and mined, but not recorded by the writer that lost
    with write_path.session() as s:
        assert (
            s.execute(
                select(func.count()).select_from(OutboxTransaction).where(OutboxTransaction.status == "sent")
            ).scalar_one()
            == 1
        )

    write_path.drain(LosesItsLeaseWhileWaitingForReceipts.thief)  # settles the stored transaction
    assert paid_on_chain(write_path.chain, project_code(1)) == 5 * 100
    assert write_path.statuses() == {"mined": 6}  # the assessment and the five payments
