"""`ledger reconcile` as an operator runs it: the counts and each finding printed, the run stored, exit 1
when anything was found and 0 on a clean run."""

import os
from sqlmodel import Session

from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.domain import reconciliation
from tests.support.ledger_cli import ledger
from tests.support.reconciliation_world import plant_voucher_not_on_chain, remove_statements


def test_reconcile_prints_each_finding_stores_the_run_and_exits_1_only_when_it_found_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    plant_voucher_not_on_chain(engine, "V-NOT-ON-CHAIN")
    # No node answers here: the chain's clock falls back to the wall clock, and the audit is left out.
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_RPC_URL": "http://127.0.0.1:9"}

    found = ledger("reconcile", "--no-audit", env=env)
    assert found.returncode == 1, found.stderr
    assert "payment_missing_on_chain   1" in found.stdout
    assert "payment_missing_on_chain\tV-NOT-ON-CHAIN\t" in found.stdout

    remove_statements(engine)
    clean = ledger("reconcile", "--no-audit", env=env)
    assert clean.returncode == 0, clean.stderr
    assert "0 finding(s)" in clean.stdout
    with Session(engine) as s:
        latest = reconciliation.latest_run(s)
    assert latest is not None and latest.run_id == 2 and latest.trigger == "cli"
    assert latest.checked["read_model"] == "not checked"
    engine.dispose()
