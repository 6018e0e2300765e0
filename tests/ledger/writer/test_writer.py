"""The outbox writer against a real development node (Hardhat and anvil), on SQLite and PostgreSQL."""

import logging

import pytest
from sqlalchemy import func, select

from ledger.db.write_model import OutboxCommand, OutboxTransaction
from ledger.domain import clearance, fees, payments, projects
from ledger.domain.commands import command_status
from ledger.core.identifiers import project_key, reference_key
from ledger.writer.writer import OutboxWriter
from tests.support.chain import block_gas_limit
from tests.support.ledger_env import chain_time, paid_on_chain
from tests.support.samples import assessment, payment, project, project_code

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


class Crash(BaseException):
    """A process dying at a chosen point (BaseException: nothing catches it on the way out)."""


def setup_projects(path, count: int) -> dict[int, int]:
    """Register and assess `count` projects and put the assessments on chain; returns n -> due fen."""
    mirror = path.indexer()  # the rate tables deploy published, as the services read them
    mirror.catch_up()
    mirror.release()
    with path.session() as s:
        for n in range(1, count + 1):
            projects.register_project(s, project=project(n), client="approval")
            fees.assess_fee(s, assessment=assessment(n), actor="office")
        s.commit()
        due = {n: payments.levies_feed(s, limit=500).items[n - 1].amount_fen for n in range(1, count + 1)}
    path.drain()
    return due


def confirm(path, items) -> list[str]:
    with path.session() as s:
        ids = [payments.confirm_payment(s, confirmation=item, client="tax").command_id for item in items]
        s.commit()
    return ids


def test_confirmations_are_batched_into_few_transactions_and_reach_indexed(write_path):
    due = setup_projects(write_path, 3)
    at = chain_time(write_path.chain)
    items = [payment(n, f"V-{n}-{i}", 1000, paid_at=at) for n in (1, 2, 3) for i in range(100)]
    ids = confirm(write_path, items)
    write_path.drain()
    with write_path.session() as s:
        transactions = s.execute(
            select(func.count(func.distinct(OutboxCommand.transaction_id))).where(OutboxCommand.id.in_(ids))
        ).scalar_one()
    assert transactions <= 2  # 300 payments in at most two recordPayments calls
    for n in (1, 2, 3):
        assert paid_on_chain(write_path.chain, project_code(n)) == 100 * 1000 < due[n]  # every payment once
    write_path.indexer().catch_up()
    writer = write_path.writer()
    writer.mark_indexed()
    with write_path.session() as s:
        status = command_status(s, command_id=ids[0])
        assert status.status == "indexed" and status.transaction_hash and status.block_number
        assert clearance.clearance(s, project_code=project_code(1)).fee_status == "partially_paid"


def test_a_batch_whose_gas_passes_95_percent_of_the_block_gas_limit_is_split_and_all_of_it_is_mined(write_path):
    due = setup_projects(write_path, 2)
    chain = write_path.chain
    at = chain_time(chain)
    items = [payment(n, f"V-{n}-{i}", 1000, paid_at=at) for n in (1, 2) for i in range(50)]
    limit = 3_000_000  # 100 payments ask for 60_000 + 100 × 45_000 = 4_560_000: more than a block
    with block_gas_limit(chain, limit):
        ids = confirm(write_path, items)
        write_path.drain()
        with write_path.session() as s:
            hashes = s.scalars(
                select(OutboxTransaction.transaction_hash)
                .join(OutboxCommand, OutboxCommand.transaction_id == OutboxTransaction.id)
                .where(OutboxCommand.id.in_(ids))
                .distinct()
            ).all()
    assert len(hashes) >= 2  # split
    for tx_hash in hashes:
        assert chain.w3.eth.get_transaction(tx_hash)["gas"] <= 0.95 * limit
        assert chain.w3.eth.get_transaction_receipt(tx_hash)["status"] == 1
    for n in (1, 2):
        assert paid_on_chain(chain, project_code(n)) == 50 * 1000 < due[n]  # every payment, once


def test_a_revert_fails_its_command_with_the_decoded_error_and_the_rest_go_on(write_path, caplog):
    setup_projects(write_path, 1)
    chain = write_path.chain
    at = chain_time(chain)
    # The voucher reaches the chain by another path first, with other figures.
    chain.senders["TAX_ROLE"].send(
        chain.fee.functions.recordPayment(
            project_key(project_code(1)), reference_key("V-TAKEN"), 999, int(at.timestamp())
        )
    )
    ids = confirm(
        write_path,
        [
            payment(1, "V-A", 100, paid_at=at),
            payment(1, "V-TAKEN", 100, paid_at=at),
            payment(1, "V-B", 100, paid_at=at),
        ],
    )
    with caplog.at_level(logging.INFO, logger="ledger.writer.writer"):
        write_path.drain()
    # The first, unchecked send of the three reverts on chain. Hardhat also answers the send itself
    # with the revert; anvil accepts it and tells only by the status-0 receipt. The receipt decides.
    send_errors = [r for r in caplog.records if r.getMessage().startswith("outbox: sending")]
    assert bool(send_errors) == (chain.node.kind == "hardhat"), send_errors
    with write_path.session() as s:
        assert (
            s.execute(
                select(func.count()).select_from(OutboxTransaction).where(OutboxTransaction.status == "reverted")
            ).scalar_one()
            == 1
        )
    with write_path.session() as s:
        taken = command_status(s, command_id=ids[1])
        assert taken.status == "failed"
        assert taken.error.name == "FeeLedgerVoucherConflict"
        assert taken.error.args == ["0x" + reference_key("V-TAKEN").hex()]
        assert [command_status(s, command_id=i).status for i in (ids[0], ids[2])] == ["mined", "mined"]
    assert paid_on_chain(chain, project_code(1)) == 999 + 200  # paidFen


class CrashBeforeSend(OutboxWriter):
    def _broadcast(self, sent):
        raise Crash()


class CrashAfterSend(OutboxWriter):
    def _broadcast(self, sent):
        super()._broadcast(sent)
        raise Crash()


@pytest.mark.parametrize("crashing_writer", [CrashBeforeSend, CrashAfterSend])
def test_a_writer_that_dies_between_signing_and_recording_the_receipt_lands_each_command_once(
    write_path, crashing_writer
):
    setup_projects(write_path, 1)
    at = chain_time(write_path.chain)
    ids = confirm(write_path, [payment(1, f"V-{i}", 100, paid_at=at) for i in range(10)])
    with pytest.raises(Crash):
        write_path.writer(crashing_writer).run_once()
    assert write_path.statuses().get("submitted") == 10
    write_path.drain()  # a new writer process: settles the stored transaction instead of signing anew
    assert paid_on_chain(write_path.chain, project_code(1)) == 10 * 100
    with write_path.session() as s:
        assert {command_status(s, command_id=i).status for i in ids} == {"mined"}
        assert (
            s.execute(
                select(func.count()).select_from(OutboxTransaction).where(OutboxTransaction.status == "mined")
            ).scalar_one()
            == 2
        )  # the assessment's and the payments'


def test_a_stored_transaction_whose_nonce_was_used_elsewhere_is_reconciled_against_the_chain(write_path):
    setup_projects(write_path, 1)
    at = chain_time(write_path.chain)
    ids = confirm(write_path, [payment(1, "V-1", 100, paid_at=at), payment(1, "V-2", 100, paid_at=at)])
    with pytest.raises(Crash):
        write_path.writer(CrashBeforeSend).run_once()
    # Before the writer comes back, the same key spends that nonce on one of the two payments.
    chain = write_path.chain
    chain.senders["TAX_ROLE"].send(
        chain.fee.functions.recordPayment(project_key(project_code(1)), reference_key("V-1"), 100, int(at.timestamp()))
    )
    write_path.drain()
    with write_path.session() as s:
        assert [command_status(s, command_id=i).status for i in ids] == ["mined", "mined"]
        assert s.execute(select(OutboxTransaction.status).where(OutboxTransaction.status == "dropped")).scalar_one()
    assert paid_on_chain(chain, project_code(1)) == 200


def test_office_decisions_reach_the_chain_with_their_fact_times(write_path):
    from datetime import timedelta

    from ledger.db.read_model import Commitment as CommitmentView
    from ledger.domain.commitments import decide_commitment, record_commitments
    from ledger.domain.schemas.office import CommitmentDecision
    from tests.support.samples import commitment, sha

    setup_projects(write_path, 1)
    signed = chain_time(write_path.chain)
    with write_path.session() as s:
        record_commitments(
            s,
            commitments=[commitment(1, "C-1", "materials", days=30).model_copy(update={"signed_at": signed})],
            client="approval",
        )
        s.commit()
    write_path.drain()
    fulfilled_at = signed + timedelta(minutes=1)  # a fact time within the chain's clock skew
    with write_path.session() as s:
        for action, at in (("submit_evidence", signed), ("reject_evidence", None), ("fulfil", fulfilled_at)):
            decide_commitment(
                s,
                commitment_number="C-1",
                decision=CommitmentDecision(action=action, document_sha256=sha(action), decided_at=at),
                actor="office",
            )
        s.commit()
    write_path.drain()
    assert write_path.statuses() == {"mined": 5}  # the assessment, the record and three decisions
    indexer = write_path.indexer()
    indexer.catch_up()
    with write_path.session() as s:
        view = s.execute(select(CommitmentView)).scalar_one()
    assert (view.status, view.fulfilled_late, view.decided_at) == ("fulfilled", False, int(fulfilled_at.timestamp()))
