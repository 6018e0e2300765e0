"""The crash harness's checks (devtools/crash.py) are not vacuous: on a database with planted faults —
a batch that half exists, a key recorded twice, an acknowledged write not on chain, a command left in
flight, a failure without a reason — each is reported; on a clean one nothing is."""

import json
import time
import uuid
from types import SimpleNamespace

import pytest
from sqlmodel import Session

from devtools.crash import Harness, Sent
from devtools.scratch_db import scratch_database
from ledger.core.identifiers import reference_key
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.db.write_model import OutboxCommand
from tests.api.conftest import POSTGRES_SERVER


@pytest.fixture
def harness():
    url, drop = scratch_database(POSTGRES_SERVER, prefix="ledger_crash_checks")
    engine = make_engine(url)
    upgrade_schema(engine)
    try:
        yield Harness(SimpleNamespace(engine=engine), seed=1)
    finally:
        engine.dispose()
        drop()


def plant(harness, reference: str, status: str = "indexed", error: str | None = None, kind: str = "record_payment"):
    args = {"voucher": "0x" + reference_key(reference).hex()}
    with Session(harness.stack.engine) as session:
        session.add(
            OutboxCommand(
                id=uuid.uuid4().hex,
                kind=kind,
                role="TAX_ROLE",
                reference=reference,
                project_code="2026-410105-70-01-000001",
                args=json.dumps(args),
                status=status,
                error_name=error,
                client="tax-bureau",
                created_at=time.time(),
            )
        )
        session.commit()


def office_write(op: str, refs: list[str], outcome: str) -> Sent:
    """A write without an Idempotency-Key: the checks do not send it again."""
    write = Sent(op, "/v1/x", {}, [("record_payment", r) for r in refs], None, outcome=outcome, first_outcome=outcome)
    return write


def test_the_crash_checks_report_each_planted_fault_and_nothing_on_a_clean_database(harness):
    violations: list[str] = []
    harness.retry_unanswered(violations)
    clean = harness.check(violations, settle_seconds=0)
    assert violations == [] and clean["lost"] == 0 and clean["duplicated"] == 0

    plant(harness, "HALF-1")  # a batch of two that got no answer: one of its vouchers has a command
    plant(harness, "TWICE", status="accepted")
    plant(harness, "TWICE", status="submitted")  # twice in the outbox, and left in flight
    plant(harness, "NOT-ON-CHAIN")  # `indexed`, but no payment in the read model
    plant(harness, "NO-REASON", status="failed")
    harness.sent = [
        office_write("pay_batch", ["HALF-1", "HALF-2"], "unanswered"),
        office_write("pay", ["TWICE"], "unanswered"),
        office_write("pay", ["NOT-ON-CHAIN"], "acked"),
    ]
    harness.retry_unanswered(violations)
    planted = harness.check(violations, settle_seconds=0)
    report = "\n".join(violations)
    assert planted["lost"] == 1  # NOT-ON-CHAIN was acknowledged; the others were not
    assert "half there: pay_batch" in report
    assert "twice in the outbox: ('record_payment', 'TWICE')" in report
    assert "1 commands left accepted" in report and "1 commands left submitted" in report
    assert "('record_payment', 'NOT-ON-CHAIN') is on chain 0 times" in report
    assert "record_payment NO-REASON failed without a reason" in report
    assert "acknowledged pay ('record_payment', 'NOT-ON-CHAIN')" not in report  # indexed: its count says it
