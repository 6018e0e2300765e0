"""The one lease the indexer and the writer hold: one owner at a time per holder and chain, on the
database's clock, fenced in the holder's write transactions; on SQLite and PostgreSQL."""

import ast
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger.core.errors import LeaseLost, TransientError
from ledger.db.lease import Lease

ROOT = Path(__file__).resolve().parents[3]


def take(engine, lease: Lease) -> bool:
    with engine.begin() as conn:
        return lease.acquire(conn)


def test_one_owner_holds_a_lease_until_it_is_released_or_expires(engine):
    first, second = (Lease(holder="writer", chain_id=1, owner=o, seconds=60) for o in ("first", "second"))
    assert take(engine, first)
    assert not take(engine, second)
    assert take(engine, first)  # its own lease: renewed
    with engine.begin() as conn:
        first.release(conn)
    assert take(engine, second)
    expiring = Lease(holder="writer", chain_id=1, owner="second", seconds=0.0)
    assert take(engine, expiring)  # expires at once
    time.sleep(0.01)
    assert take(engine, first)


def test_the_indexer_and_the_writer_of_one_chain_hold_separate_leases(engine):
    indexer = Lease(holder="indexer", chain_id=31337, owner="a process", seconds=60)
    writer = Lease(holder="writer", chain_id=31337, owner="another process", seconds=60)
    other_chain = Lease(holder="writer", chain_id=1, owner="a third process", seconds=60)
    assert take(engine, indexer) and take(engine, writer) and take(engine, other_chain)


def test_a_host_whose_clock_runs_a_century_ahead_cannot_take_a_live_lease(engine, monkeypatch):
    assert take(engine, Lease(holder="writer", chain_id=1, owner="active", seconds=60))
    monkeypatch.setattr(time, "time", lambda: 4_000_000_000.0)
    assert not take(engine, Lease(holder="writer", chain_id=1, owner="standby", seconds=60))
    with engine.connect() as conn:  # and the expiry is the database's time, not this host's
        assert conn.execute(text("SELECT expires_at FROM leases")).scalar_one() < 4_000_000_000.0


def test_a_fenced_transaction_of_an_owner_that_lost_the_lease_is_rolled_back(engine):
    slow = Lease(holder="indexer", chain_id=1, owner="slow", seconds=0.0)
    assert take(engine, slow)
    time.sleep(0.01)
    assert take(engine, Lease(holder="indexer", chain_id=1, owner="thief", seconds=60))
    with pytest.raises(LeaseLost, match="chain 1: the lease passed to another indexer"):
        with engine.begin() as conn:
            conn.execute(text("UPDATE leases SET owner = 'written by slow'"))  # a write the fence must undo
            slow.fence(conn)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT owner FROM leases")).scalar_one() == "thief"


def test_lease_lost_is_one_transient_error_defined_once_for_the_indexer_and_the_writer():
    defined = [
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "ledger").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef) and node.name == "LeaseLost"
    ]
    assert defined == ["ledger/core/errors.py"]
    assert issubclass(LeaseLost, TransientError)
