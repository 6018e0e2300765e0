"""`ledger db upgrade` and `ledger db current`: the schema upgraded as an explicit step."""

import os
import subprocess
import sys
import time

from sqlalchemy import text

from devtools.scratch_db import scratch_database
from ledger.db.engine import make_engine
from ledger.db.schema import UPGRADE_LOCK_KEY, current_revision, head_revision
from tests.support.databases import POSTGRES_SERVER
from tests.support.ledger_cli import ledger


def test_ledger_db_upgrade_on_sqlite_twice_leaves_the_head_and_says_so(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    for _ in range(2):
        result = ledger("db", "upgrade", env=env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"database schema is at revision {head_revision()}"
    assert current_revision(make_engine(url)) == head_revision()


def test_ledger_db_current_exits_non_zero_until_the_database_is_upgraded(tmp_path):
    env = {**os.environ, "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}"}
    before = ledger("db", "current", env=env)
    assert before.returncode == 1
    assert before.stdout.strip() == f"database: no schema; this release: {head_revision()}"
    assert ledger("db", "upgrade", env=env).returncode == 0
    after = ledger("db", "current", env=env)
    assert after.returncode == 0
    assert after.stdout.strip() == f"database: {head_revision()}; this release: {head_revision()}"


def _waiting_for_the_lock(conn) -> int:
    return conn.execute(
        text(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
    ).scalar()


def test_two_ledger_db_upgrades_started_together_on_a_fresh_postgresql_database_both_succeed_and_leave_the_head():
    url, drop = scratch_database(POSTGRES_SERVER, prefix="ledger_upgrade_test")
    engine = make_engine(url)
    try:
        env = {**os.environ, "LEDGER_DATABASE_URL": url}
        with engine.connect() as holder:
            # The test holds the upgrade lock until both upgrades wait for it: they then start together.
            holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": UPGRADE_LOCK_KEY})
            upgrades = [
                subprocess.Popen(
                    [sys.executable, "-m", "ledger", "db", "upgrade"],
                    env=env,
                    text=True,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
                for _ in range(2)
            ]
            deadline = time.monotonic() + 60
            while _waiting_for_the_lock(holder) < 2:
                assert all(u.poll() is None for u in upgrades), [u.communicate() for u in upgrades]
                assert time.monotonic() < deadline, "the upgrades never waited for the lock"
                time.sleep(0.05)
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": UPGRADE_LOCK_KEY})
            holder.commit()
        for upgrade in upgrades:
            out, err = upgrade.communicate(timeout=120)
            assert upgrade.returncode == 0, err
            assert out.strip() == f"database schema is at revision {head_revision()}"
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
        drop()
