"""snapshot_reads: every statement of a read transaction sees the database as the first one did,
so an answer and the checkpoint it reports are of one moment while the indexer commits."""

from sqlalchemy import text

from ledger.db.engine import make_engine, snapshot_reads

CHECKPOINT = "SELECT block_number FROM chain_state"


def set_checkpoint(engine, block_number: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM chain_state"))
        conn.execute(
            text(
                "INSERT INTO chain_state (chain_id, genesis_hash, block_number, block_hash, updated_at) "
                "VALUES (31337, '0x00', :n, '0x01', 0)"
            ),
            {"n": block_number},
        )


def test_a_postgresql_read_transaction_keeps_its_snapshot_while_the_indexer_commits(make_database):
    engine = make_engine(make_database("postgresql"))
    set_checkpoint(engine, 1)
    with snapshot_reads(engine).connect() as reader:
        assert reader.execute(text(CHECKPOINT)).scalar() == 1
        set_checkpoint(engine, 2)  # committed by another connection meanwhile
        assert reader.execute(text(CHECKPOINT)).scalar() == 1
        assert reader.execute(text("SHOW transaction_read_only")).scalar() == "on"
    with snapshot_reads(engine).connect() as reader:
        assert reader.execute(text(CHECKPOINT)).scalar() == 2  # the next transaction, the next snapshot
    engine.dispose()


def test_sqlite_reads_use_the_engine_as_it_is(make_database):
    engine = make_engine(make_database("sqlite"))
    assert snapshot_reads(engine) is engine
    engine.dispose()
