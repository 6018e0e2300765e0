"""Migration 0007_contracts_v3 on a read model indexed before it: the new columns, and when each
commitment became known on chain and was last marked overdue, filled from its events' block times."""

import pytest
from alembic import command
from sqlalchemy import text

from devtools.scratch_db import scratch_database
from ledger.db.engine import make_engine
from ledger.db.schema import alembic_config

CHAIN_ID = 31337
HASH = "0x" + "ab" * 32
POSTGRES_SERVER = "postgresql://127.0.0.1/test"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """An empty database with no schema at all (the indexer's fixture gives one already at the head)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'read-model.db'}"
        return
    url, drop = scratch_database(POSTGRES_SERVER, prefix="ledger_test")
    yield url
    drop()


def test_an_existing_read_model_gains_the_v3_columns_with_its_commitments_times_filled(database_url):
    engine = make_engine(database_url)
    with engine.begin() as conn:  # the schema before 0007
        command.upgrade(alembic_config(conn), "0006_lossless")
    with engine.begin() as conn:
        for block, timestamp in ((5, 1_700_000_500), (9, 1_700_000_900)):
            conn.execute(
                text("INSERT INTO block_times VALUES (:c, :b, :h, :t)"),
                {"c": CHAIN_ID, "b": block, "h": HASH, "t": timestamp},
            )
        for block, event, status in ((5, "recorded", "recorded"), (9, "marked_overdue", "overdue")):
            conn.execute(
                text(
                    "INSERT INTO commitment_events (chain_id, block_number, log_index, block_hash, transaction_hash, "
                    "commitment, enterprise, event, status) VALUES (:c, :b, 0, :h, :h, 'c1', 'e1', :e, :s)"
                ),
                {"c": CHAIN_ID, "b": block, "h": HASH, "e": event, "s": status},
            )
        conn.execute(
            text(
                "INSERT INTO commitments (chain_id, commitment, project, enterprise, kind, status, fulfilled_late, "
                "extensions, signed_at, due_at, evidence_submitted_at, decided_at, recorded_block, block_number, "
                "log_index, block_hash, transaction_hash) VALUES (:c, 'c1', 'p1', 'e1', 'materials', 'overdue', false, 0, "
                "1, 2, 0, 0, 5, 9, 0, :h, :h)"
            ),
            {"c": CHAIN_ID, "h": HASH},
        )
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT recorded_at, overdue_at FROM commitments")).one() == (
            1_700_000_500,
            1_700_000_900,
        )
        assert conn.execute(text("SELECT COUNT(*) FROM over_refunds")).scalar() == 0
        assert conn.execute(text("SELECT assessed_at FROM fee_assessments")).all() == []
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0006_lossless")
    engine.dispose()
