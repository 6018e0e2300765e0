"""The public's cache keeps an answer until the indexer changes its project: new events of one
project drop that project's answers only; a reorg drops everything. (The read model is written
here as the indexer writes it: events with their subjects, block hashes, the checkpoint.)"""

import asyncio
import time

import pytest
from sqlalchemy import text

from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.domain.common import project_key_hex, reference_key_hex
from web.kit.read_cache import ReadCache

PROJECTS = {"A": project_key_hex("2026-410105-47-01-000001"), "B": project_key_hex("2026-410105-47-01-000002")}
COMMITMENT_OF_B = reference_key_hex("CN-1")


class World:
    def __init__(self, engine):
        self.engine, self.now, self.reads = engine, 1000.0, {"A": 0, "B": 0}
        self.cache = ReadCache(engine, seconds=60, check_seconds=1, entries=100, clock=lambda: self.now)

    def _read(self, session, *, name):
        self.reads[name] += 1
        return f"{name}#{self.reads[name]}"

    def ask(self, *names: str) -> tuple[str, ...]:
        return tuple(asyncio.run(self.cache.get((n,), self._read, scope=PROJECTS[n], name=n)) for n in names)

    def later(self) -> None:
        self.now += 1.5  # past the next check

    def index_block(self, number: int, block_hash: str, subjects: list[str] = ()) -> None:
        with self.engine.begin() as conn:
            for i, subject in enumerate(subjects):
                conn.execute(
                    text(
                        "INSERT INTO raw_events (chain_id, block_number, log_index, block_hash, "
                        "transaction_hash, contract, address, event, subject, topics, data) VALUES "
                        "(31337, :n, :i, :h, :h, 'FeeLedger', '0x00', 'PaymentRecorded', :s, x'', x'')"
                    ),
                    {"n": number, "i": i, "h": block_hash, "s": subject},
                )
            conn.execute(text("DELETE FROM indexed_blocks WHERE block_number >= :n"), {"n": number})
            conn.execute(
                text("INSERT INTO indexed_blocks VALUES (31337, :n, :h, '0x00')"), {"n": number, "h": block_hash}
            )
            conn.execute(text("DELETE FROM chain_state"))
            conn.execute(
                text(
                    "INSERT INTO chain_state (chain_id, genesis_hash, block_number, block_hash, updated_at) "
                    "VALUES (31337, '0x00', :n, :h, :t)"
                ),
                {"n": number, "h": block_hash, "t": time.time()},
            )


@pytest.fixture
def world(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'read-model.db'}")
    upgrade_schema(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO commitments (chain_id, commitment, project, enterprise, kind, status, "
                "fulfilled_late, extensions, signed_at, due_at, evidence_submitted_at, decided_at, "
                "recorded_block, block_number, log_index, block_hash, transaction_hash) VALUES "
                "(31337, :c, :p, '0x01', 'materials', 'recorded', 0, 0, 0, 0, 0, 0, 1, 1, 0, '0x', '0x')"
            ),
            {"c": COMMITMENT_OF_B, "p": PROJECTS["B"]},
        )
    world = World(engine)
    world.index_block(1, "0xb1")
    yield world
    engine.dispose()


def test_an_answer_is_kept_until_the_indexer_changes_its_project(world):
    assert world.ask("A", "B") == ("A#1", "B#1")
    world.later()
    assert world.ask("A", "B") == ("A#1", "B#1")  # nothing indexed: both kept
    world.index_block(2, "0xb2", [PROJECTS["A"]])
    world.later()
    assert world.ask("A", "B") == ("A#2", "B#1")  # A's payment: A read again, B kept
    world.index_block(3, "0xb3", [COMMITMENT_OF_B])
    world.later()
    assert world.ask("A", "B") == ("A#2", "B#2")  # an event of B's commitment: B read again


def test_a_reorg_drops_every_answer(world):
    world.index_block(2, "0xb2")
    world.later()
    assert world.ask("A", "B") == ("A#1", "B#1")  # read at block 2
    world.index_block(2, "0xc2")  # block 2 replaced, then the chain goes on
    world.index_block(3, "0xc3")
    world.later()
    assert world.ask("A", "B") == ("A#2", "B#2")


def test_answers_are_kept_no_longer_than_the_configured_age(world):
    world.ask("A")
    world.now += 61
    assert world.ask("A") == ("A#2",)


def test_an_answer_read_at_a_checkpoint_the_cache_has_not_checked_is_not_kept(world):
    assert world.ask("A") == ("A#1",)  # the cache has checked block 1
    world.index_block(2, "0xb2", [PROJECTS["B"]])
    assert world.ask("B", "B") == ("B#1", "B#2")  # read at block 2 before any check saw it: not kept
    world.later()
    assert world.ask("A", "B", "B") == ("A#1", "B#3", "B#3")  # checked block 2: B kept from now on
