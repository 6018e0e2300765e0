"""When the worker reconciles: a run asked for is claimed once; a daily one only when the last is that
old; an audit that cannot run is said in the run, not fatal. (Finding each kind on a real chain:
tests/ledger/writer/test_reconciliation.py.)"""

import threading
import time

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlmodel import Session

from ledger.core.identifiers import project_key
from ledger.db.read_model import Commitment as CommitmentView
from ledger.db.read_model import Payment
from ledger.db.supervision_model import ReconciliationRun, TaxStatementLine
from ledger.domain import fees, payments, projects, reconciliation
from ledger.domain.common import SHANGHAI, reference_key_hex, unix
from tests.support.rates import CHAIN_ID
from tests.support.samples import assessment, payment, project, project_code

DAY = 86_400.0


def test_the_first_run_is_due_at_once_and_the_next_daily_one_only_a_day_after_the_last(session):
    first = reconciliation.due_run(session, every_seconds=DAY)
    assert first is not None and first.trigger == "daily" and first.status == "running"
    reconciliation.reconcile(session, now=int(time.time()), sweep_slack_seconds=0, audit=None, run=first)
    assert reconciliation.due_run(session, every_seconds=DAY) is None
    assert reconciliation.due_run(session, every_seconds=DAY, now=time.time() + DAY + 1) is not None


def test_a_requested_run_is_claimed_by_one_worker_only(session):
    asked = reconciliation.request_reconciliation(session, actor="regulator")
    assert reconciliation.request_reconciliation(session, actor="regulator") == asked  # waiting: the same one
    claimed = reconciliation.due_run(session, every_seconds=DAY)
    assert claimed is not None and claimed.id == asked and claimed.status == "running"
    session.get(ReconciliationRun, asked).requested_at = time.time()  # (a claim just made)
    assert reconciliation.due_run(session, every_seconds=DAY) is None


def test_an_audit_that_cannot_run_is_recorded_in_the_run_which_still_completes(session):
    def audit():
        raise ConnectionError("node down")

    run_id = reconciliation.reconcile(session, now=int(time.time()), sweep_slack_seconds=0, audit=audit)
    run = reconciliation.get_run(session, run_id=run_id)
    assert run.status == "done" and run.total == 0
    assert run.checked["read_model"] == "not checked: ConnectionError: node down"


def test_an_indexer_committing_between_two_reads_of_a_run_makes_no_transient_finding(engine):
    """A voucher on the tax statement whose payment is on its way: the run reads the chain's payments
    (none yet), then the indexer lands it and the writer marks its command, then the run reads the
    commands (no longer in flight). One snapshot: the run sees the voucher on its way, not missing."""
    with Session(engine) as s:
        projects.register_project(s, project=project(1), client="approval")
        fees.assess_fee(s, assessment=assessment(1), actor="office")
        confirmation = payment(1, "V-1", 100)
        payments.confirm_payment(s, confirmation=confirmation, client="tax")
        paid_at = unix(confirmation.paid_at)
        s.add(
            TaxStatementLine(
                day=confirmation.paid_at.astimezone(SHANGHAI).date(),
                voucher_number="V-1",
                levy_number=confirmation.levy_number,
                amount_fen=100,
                paid_at=paid_at,
                received_at=time.time(),
            )
        )
        s.commit()

    landed = []

    def indexer_commits_after_the_payments_are_read(conn, cursor, statement, *args):
        if landed or "FROM payments" not in statement:
            return
        landed.append(True)
        with engine.begin() as other:
            other.execute(
                insert(Payment).values(
                    chain_id=CHAIN_ID,
                    block_number=2,
                    log_index=0,
                    block_hash="0x02",
                    transaction_hash="0xab",
                    project="0x" + project_key(project_code(1)).hex(),
                    voucher=reference_key_hex("V-1"),
                    amount_fen=100,
                    paid_at=paid_at,
                    late=False,
                )
            )
            other.execute(text("UPDATE outbox_commands SET status = 'indexed', block_number = 2"))

    event.listen(engine, "after_cursor_execute", indexer_commits_after_the_payments_are_read)
    try:
        with Session(engine) as s:
            run = reconciliation.due_run(s, every_seconds=DAY)
            s.commit()  # as the worker does
            run_id = reconciliation.reconcile(s, now=int(time.time()), sweep_slack_seconds=0, audit=None, run=run)
            s.commit()
    finally:
        event.remove(engine, "after_cursor_execute", indexer_commits_after_the_payments_are_read)
    assert landed
    with Session(engine) as s:
        assert reconciliation.get_run(s, run_id=run_id).counts["payment_missing_on_chain"] == 0
        again = reconciliation.reconcile(s, now=int(time.time()), sweep_slack_seconds=0, audit=None)
        assert reconciliation.get_run(s, run_id=again).total == 0  # and after the commit: it landed


def test_an_approved_project_whose_shelter_build_commitment_is_fulfilled_or_overdue_is_not_unsecured(session):
    for n, status in ((1, "fulfilled"), (2, "breached"), (3, "overdue")):
        projects.register_project(
            session, project=project(n).model_copy(update={"stage": "construction"}), client="approval"
        )
        session.add(
            CommitmentView(
                chain_id=CHAIN_ID,
                commitment=f"0x{n:064x}",
                project="0x" + project_key(project_code(n)).hex(),
                enterprise="0x" + "00" * 32,
                kind="shelter_build",
                status=status,
                fulfilled_late=False,
                extensions=0,
                signed_at=1,
                due_at=2,
                evidence_submitted_at=0,
                decided_at=3,
                recorded_block=1,
                block_number=1,
                log_index=0,
                block_hash="0x01",
                transaction_hash="0xab",
            )
        )
    session.commit()
    run_id = reconciliation.reconcile(session, now=int(time.time()), sweep_slack_seconds=0, audit=None)
    unsecured = reconciliation.run_findings(session, run_id=run_id, kind="approved_unsecured")
    # built and accepted: secured; overdue: counted as overdue already, not again here; breached: unsecured
    assert [f.subject for f in unsecured] == [project_code(2)]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_beat_ticks_at_once_start_one_daily_run(engine):
    """The first tick's run is not committed yet when the second looks: the second finds no recent
    run, and its start conflicts with the first's once that commits."""
    started: list = []
    with Session(engine) as first:
        run = reconciliation.due_run(first, every_seconds=DAY)
        assert run is not None

        def second_tick():
            with Session(engine) as second:
                started.append(reconciliation.due_run(second, every_seconds=DAY))
                second.commit()

        tick = threading.Thread(target=second_tick)
        tick.start()
        tick.join(0.5)  # (it waits on the first's uncommitted run, or, the defect, it has started its own)
        first.commit()
        tick.join(30)
    assert started == [None]
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(ReconciliationRun)).scalar_one() == 1


def test_a_run_whose_worker_was_killed_is_closed_after_the_bound_and_the_next_tick_runs(session):
    killed = reconciliation.due_run(session, every_seconds=DAY)
    session.commit()  # the worker took it, then was killed: it stays `running`
    an_hour = time.time() + 3600  # the next daily run is due (every minute here), the killed one not stale yet
    assert reconciliation.due_run(session, every_seconds=60, now=an_hour) is None  # one worker run at a time
    later = time.time() + reconciliation.STALE_RUN_SECONDS + 1
    taken_over = reconciliation.due_run(session, every_seconds=60, now=later)
    assert taken_over is not None and taken_over.id != killed.id and taken_over.status == "running"
    session.commit()
    lost = session.get(ReconciliationRun, killed.id)
    session.refresh(lost)
    assert lost.status == "failed" and "worker was lost" in lost.error
