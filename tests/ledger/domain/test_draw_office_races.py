"""Two of the office's draw requests at the same instant (on PostgreSQL, where they run truly at once): of
two commitments of one draw number one is stored and the other refused as a conflict, never a 500; of two
reveals of one draw one is queued and the other refused, never both (a 202 the chain would then refuse).
The chain's side is stubbed: tests/ledger/domain/test_draw_office.py runs the whole path on a node."""

import threading
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

from ledger.db.write_model import OutboxCommand
from ledger.domain import draw_office
from ledger.domain.common import reference_key_hex
from ledger.domain.errors import Conflict
from ledger.domain.schemas.inspections import DrawCreate

DRAW = DrawCreate(
    draw_number="DRAW-RACE-1",
    title="同时提交的抽查",
    period_start=date(2026, 1, 1),
    period_end=date(2026, 12, 31),
    inspectors=["INSPECTOR-A", "INSPECTOR-B"],
    commitments_to_pick=1,
    inspectors_to_pick=1,
    reveal_in_blocks=20,
)
POOL = [(f"C-{n}", reference_key_hex(f"C-{n}")) for n in range(3)]


def at_once(engine, work, count: int = 2) -> list[str]:
    """Run `work(session)` from `count` threads, each in its own transaction; what each ended with."""
    outcomes: list[str] = []

    def run() -> None:
        with Session(engine) as own:
            try:
                work(own)
                own.commit()
                outcomes.append("queued")
            except Conflict as refused:
                own.rollback()
                outcomes.append(refused.rule)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def commands(engine, kind: str) -> int:
    with Session(engine) as s:
        return s.execute(select(func.count()).where(col(OutboxCommand.kind) == kind)).scalar_one()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_commitments_of_one_draw_number_at_once_store_one_and_refuse_the_other(engine, monkeypatch):
    both_checked = threading.Barrier(2, timeout=30)
    on_chain = draw_office._on_chain

    def check_then_wait(session, key):  # both pass the first check before either stores its draw
        found = on_chain(session, key)
        both_checked.wait()
        return found

    monkeypatch.setattr(draw_office, "_on_chain", check_then_wait)
    monkeypatch.setattr(draw_office, "candidate_pool", lambda session, draw: POOL)

    def commit(session) -> None:
        draw_office.commit_draw(session, draw=DRAW, head_block=lambda: 100, actor="office")

    assert at_once(engine, commit) == ["queued", "unique_forever"]
    assert commands(engine, "commit_draw") == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_reveals_of_one_draw_at_once_queue_one_and_refuse_the_other(engine, monkeypatch):
    monkeypatch.setattr(draw_office, "candidate_pool", lambda session, draw: POOL)
    with Session(engine) as s:
        draw_office.commit_draw(s, draw=DRAW, head_block=lambda: 100, actor="office")
        s.commit()
    inside, go = threading.Event(), threading.Event()
    asked: list[bool] = []

    def chain_status(session, office, strict=True):  # the first reveal holds here, past the queued check
        asked.append(True)
        if len(asked) == 1:
            inside.set()
            assert go.wait(30)
        return "committed", 120

    monkeypatch.setattr(draw_office, "_chain_status", chain_status)

    def reveal(session) -> None:
        draw_office.reveal_draw(session, draw_number=DRAW.draw_number, head_block=lambda: 130, actor="office")

    outcomes: list[str] = []
    first = threading.Thread(target=lambda: outcomes.extend(at_once(engine, reveal, count=1)))
    first.start()
    assert inside.wait(30)
    second = threading.Thread(target=lambda: outcomes.extend(at_once(engine, reveal, count=1)))
    second.start()
    second.join(timeout=2)  # with the draw's row locked, the second waits for the first to end
    go.set()
    first.join(timeout=60)
    second.join(timeout=60)
    assert sorted(outcomes) == ["queued", "reveal_once"]
    assert commands(engine, "reveal_draw") == 1
