"""When the worker reconciles: a run asked for is claimed once; a daily one only when the last is that
old; an audit that cannot run is said in the run, not fatal. (Finding each kind on a real chain:
tests/ledger/writer/test_reconciliation.py.)"""

import time

from ledger.db.supervision_model import ReconciliationRun
from ledger.domain import reconciliation

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
