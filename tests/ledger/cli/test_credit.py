"""`ledger credit export` on a real SQLite read model, as an operator runs it for a batch intake."""

import csv
import json
import os

from sqlmodel import Session

from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from tests.support.credit_history import ENTERPRISE, plant_credit_history
from tests.support.ledger_cli import ledger
from tests.support.rates import mirror_sample_rate_table

# the planted history's blocks 11–15 fall between these (2027-01-22 … 2027-01-24 UTC)
RANGE = ("--since", "2027-01-22T00:00:00+08:00", "--until", "2027-01-26T00:00:00+08:00")


def test_the_export_writes_json_lines_to_stdout_and_csv_to_a_file_and_refuses_a_time_without_offset(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    mirror_sample_rate_table(engine)
    with Session(engine) as session:
        plant_credit_history(session)
    engine.dispose()
    env = {**os.environ, "LEDGER_DATABASE_URL": url}

    lines = ledger("credit", "export", *RANGE, env=env)
    assert lines.returncode == 0, lines.stderr
    records = [json.loads(line) for line in lines.stdout.splitlines()]
    assert [r["kind"] for r in records] == [
        "marked_overdue",
        "marked_overdue",
        "fulfilled_on_time",
        "overdue_mark_voided",
        "fulfilled_late",
        "fulfilled_on_time",
    ]
    assert {r["enterprise_key"] for r in records} == {ENTERPRISE}

    out = tmp_path / "credit.csv"
    written = ledger("credit", "export", *RANGE, "--format", "csv", "--output", str(out), env=env)
    assert written.returncode == 0 and "6 credit events" in written.stderr, written.stderr
    with out.open(encoding="utf-8", newline="") as f:
        assert [row["kind"] for row in csv.DictReader(f)] == [r["kind"] for r in records]

    naive = ledger("credit", "export", "--since", "2027-01-22T00:00:00", "--until", RANGE[3], env=env)
    assert naive.returncode != 0 and "no UTC offset" in naive.stderr and "Traceback" not in naive.stderr
    backwards = ledger("credit", "export", "--since", RANGE[3], "--until", RANGE[1], env=env)
    assert backwards.returncode == 1 and "until: until must be after since" in backwards.stderr


def test_the_pushes_to_the_credit_platform_are_listed_with_their_attempts_and_one_can_be_queued_again(tmp_path):
    from devtools.dev_node import free_port
    from ledger.core.settings import Settings
    from ledger.sharing.push import deliver_due

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    mirror_sample_rate_table(engine)
    with Session(engine) as session:
        plant_credit_history(session)
    nobody = f"http://127.0.0.1:{free_port()}/credit-events"  # the platform does not answer
    assert deliver_due(engine, Settings(credit_sharing={"url": nobody})) == {"queued": 6, "delivered": 0, "failed": 1}
    engine.dispose()
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_CREDIT_SHARING_URL": nobody}

    listed = ledger("credit", "pushes", "--status", "pending", env=env)
    assert listed.returncode == 0, listed.stderr
    head, *rows = listed.stdout.splitlines()
    assert head == f"credit platform: {nobody}; pending 6, sending 0, delivered 0"
    assert len(rows) == 6 and all(" pending " in row for row in rows)
    first = rows[-1].split()[0]  # the oldest: the enterprise's first event, tried once
    tried = ledger("credit", "attempts", first, env=env)
    assert tried.returncode == 0 and "ConnectionError" in tried.stdout and len(tried.stdout.splitlines()) == 1
    again = ledger("credit", "redeliver", first, env=env)
    assert again.returncode == 0 and again.stdout.strip() == f"{first}: queued again"
    unknown = ledger("credit", "redeliver", "1-2-3-forgiven", env=env)
    assert unknown.returncode == 1 and "no credit push 1-2-3-forgiven" in unknown.stderr
