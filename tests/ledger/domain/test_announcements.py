"""Announcements: one per rate table the chain published, dated by its block, and one per random
inspection's results once an outcome of a commitment its draw selected is on chain; from the data
file, a notice shows only in its period, and a malformed entry is refused naming its field."""

from datetime import date

import pytest
from eth_utils import keccak
from pydantic import ValidationError
from sqlalchemy import insert

from ledger.core.identifiers import document_hash, reference_key
from ledger.db.inspection_model import InspectionPool, OfficeDraw
from ledger.db.read_model import BlockTime, InspectionDrawEvent, InspectionOutcome, Rate, RateTable
from ledger.domain.announcements import Announcement, get_announcement, list_announcements
from ledger.domain.errors import NotFound
from ledger.domain.inspection_draws import DrawTerms, PublishedDrawFile, pool_hash, seed_of, select
from ledger.domain.inspections import publish_pools
from tests.support.rates import CHAIN_ID


def notice(**changes) -> dict:
    return {
        "id": "repair-001",
        "category": "repair_notice",
        "title": "信用修复公示",
        "published_on": "2026-03-01",
        "notice_until": "2026-03-15",
        "body": ["公示"],
        **changes,
    }


def test_a_notice_is_shown_from_its_publication_to_the_last_day_of_its_period():
    announcement = Announcement.model_validate(notice())
    assert not announcement.shown_on(date(2026, 2, 28))
    assert announcement.shown_on(date(2026, 3, 1)) and announcement.shown_on(date(2026, 3, 15))
    assert not announcement.shown_on(date(2026, 3, 16))


def test_an_announcement_without_a_period_stays_shown():
    assert Announcement.model_validate(notice(notice_until=None)).shown_on(date(2099, 1, 1))


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"id": "Bad Id/"}, "id"), ({"category": "gossip"}, "category"), ({"body": []}, "body"), ({"extra": 1}, "extra")],
)
def test_a_malformed_entry_is_refused_naming_the_field(changes, field):
    with pytest.raises(ValidationError) as refused:
        Announcement.model_validate(notice(**changes))
    assert refused.value.errors()[0]["loc"] == (field,)


def publish_second_table(session) -> None:
    """Rate table 2 (the price bureau's, not the sample) in block 7 of 2026-07-01 10:00 Beijing time."""
    proof = {
        "chain_id": CHAIN_ID,
        "block_number": 7,
        "block_hash": "0x" + "77" * 32,
        "transaction_hash": "0x" + "88" * 32,
    }
    session.execute(
        insert(BlockTime),
        {**{k: proof[k] for k in ("chain_id", "block_number", "block_hash")}, "timestamp": 1_782_871_200},
    )
    session.execute(
        insert(RateTable),
        {
            **proof,
            "log_index": 0,
            "version": 2,
            "effective_from": 1_783_094_400,
            "district_count": 1,
            "basis_hash": "0x" + document_hash(b"price bureau notice 2026-12").hex(),
        },
    )
    session.execute(
        insert(Rate), {**proof, "log_index": 1, "version": 2, "district": 410102, "rate_fen_per_m2": 210_000}
    )
    session.commit()


def test_each_published_rate_table_is_an_announcement_newest_first_dated_by_its_block(session):
    publish_second_table(session)
    shown = [a for a in list_announcements(session, on=date(2026, 12, 1)) if a.category == "rate_table"]
    assert [a.id for a in shown] == ["rate-table-v2", "rate-table-v1"]
    second, sample = shown
    assert second.title == "人防易地建设费费率表第 2 版，自 2026-07-04 起施行"
    assert second.published_on == date(2026, 7, 1) and second.updated_at.isoformat() == "2026-07-01T10:00:00+08:00"
    assert [(r.district, r.rate_fen_per_m2) for r in second.rates] == [("中原区", 210_000)]
    assert "（样例）" in sample.title and len(sample.rates) == 15
    assert sample.published_on == date(2025, 1, 1)  # no block time mirrored: the day it takes effect


def test_an_announcement_not_yet_published_or_past_its_period_is_not_found(session):
    publish_second_table(session)
    assert get_announcement(session, "rate-table-v2", on=date(2026, 7, 1)).id == "rate-table-v2"
    for announcement_id, on in (("rate-table-v2", date(2026, 6, 30)), ("2025-repair-notice-001", date(2025, 5, 21))):
        with pytest.raises(NotFound) as refused:
            get_announcement(session, announcement_id, on=on)
        assert refused.value.field == "announcement"
    assert get_announcement(session, "2025-repair-notice-001", on=date(2025, 5, 20)).notice_until == date(2025, 5, 20)


# -- inspection results (检查结果): one announcement per revealed draw with outcomes ------------------

DRAW_NUMBER = "DRAW-2026-Q4-410105"
DRAW_KEY = reference_key(DRAW_NUMBER)
POOL = sorted(reference_key(f"C-ANNOUNCED-{n}") for n in range(5))
ROSTER = sorted(keccak(text=f"INSPECTOR-{n}") for n in range(3))
TERMS = DrawTerms(DRAW_KEY, 1, pool_hash(POOL), 5, pool_hash(ROSTER), 3, 2, 1, 100)
REVEAL_HASH = b"\x42" * 32
SELECTION = select(seed_of(REVEAL_HASH, TERMS.commitment()), POOL, ROSTER, TERMS)
FIRST, SECOND = 1_800_000_000, 1_800_000_000 + 2 * 86_400  # 2027-01-15 16:00 and 2027-01-17 16:00 Beijing time


def hex32(word: bytes) -> str:
    return "0x" + word.hex()


def event_proof(block: int, log_index: int = 0) -> dict:
    return {
        "chain_id": CHAIN_ID,
        "block_number": block,
        "log_index": log_index,
        "block_hash": f"0x{block:064x}",
        "transaction_hash": f"0x{block + 5000:064x}",
    }


def plant_revealed_draw(session) -> None:
    """A draw committed (block 90) and revealed (block 101) on chain, its pools published by the office."""
    session.add(
        InspectionDrawEvent(
            **event_proof(90),
            draw=hex32(DRAW_KEY),
            attempt=1,
            event="committed",
            reveal_block=TERMS.reveal_block,
            pool_hash=hex32(TERMS.pool_hash),
            pool_size=5,
            roster_hash=hex32(TERMS.roster_hash),
            roster_size=3,
            commitments_to_pick=2,
            inspectors_to_pick=1,
            commitment=hex32(TERMS.commitment()),
        )
    )
    session.add(
        InspectionDrawEvent(
            **event_proof(101),
            draw=hex32(DRAW_KEY),
            attempt=1,
            event="revealed",
            reveal_block_hash=hex32(REVEAL_HASH),
            seed=hex32(seed_of(REVEAL_HASH, TERMS.commitment())),
        )
    )
    session.add(
        OfficeDraw(
            draw_number=DRAW_NUMBER,
            draw=hex32(DRAW_KEY),
            title="2026年第四季度 金水区 人防物资承诺",
            period_start=date(2026, 10, 1),
            period_end=date(2026, 12, 31),
            commitment_kind="materials",
            district="410105",
            commitments_to_pick=2,
            inspectors_to_pick=1,
            reveal_block=TERMS.reveal_block,
            actor="office",
            command_id="c" * 32,
            created_at=0,
        )
    )
    publish_pools(
        session,
        pools=PublishedDrawFile(
            draw=hex32(DRAW_KEY), candidates=[hex32(c) for c in POOL], inspectors=[hex32(i) for i in ROSTER]
        ),
        title="2026年第四季度 金水区 人防物资承诺",
    )
    session.commit()


def record_outcome(session, block: int, timestamp: int, commitment: bytes, outcome: str, log_index: int = 0) -> None:
    if session.get(BlockTime, (CHAIN_ID, block)) is None:
        session.add(BlockTime(chain_id=CHAIN_ID, block_number=block, block_hash=f"0x{block:064x}", timestamp=timestamp))
    session.add(
        InspectionOutcome(
            **event_proof(block, log_index),
            draw=hex32(DRAW_KEY),
            commitment=hex32(commitment),
            outcome=outcome,
            document_hash="0x" + f"{block:02x}" * 32,
        )
    )
    session.commit()


def inspection_results(session, on: date) -> list[Announcement]:
    return [a for a in list_announcements(session, on=on) if a.category == "inspection"]


def test_a_revealed_draw_is_announced_with_its_results_once_an_outcome_is_on_chain_dated_by_its_block(session):
    plant_revealed_draw(session)
    assert inspection_results(session, date(2027, 12, 31)) == []  # revealed, nothing inspected yet

    chosen, other = SELECTION.commitments
    passed_over = next(c for c in POOL if c not in SELECTION.commitments)
    record_outcome(session, 102, FIRST, chosen, "false_commitment")
    record_outcome(session, 103, SECOND, other, "conforms")
    record_outcome(session, 103, SECOND, passed_over, "false_commitment", log_index=1)  # forced: not selected

    assert inspection_results(session, date(2027, 1, 14)) == []  # not published before its first result
    (announced,) = inspection_results(session, date(2027, 1, 15))
    assert announced.id == f"inspection-{DRAW_KEY.hex()}" and announced.inspection_draw == hex32(DRAW_KEY)
    assert announced.title == "双随机抽查结果：2026年第四季度 金水区 人防物资承诺"
    assert announced.published_on == date(2027, 1, 15)
    assert announced.updated_at.isoformat() == "2027-01-17T16:00:00+08:00"  # its latest result's block
    text = "\n".join(announced.body)
    assert "抽查编号 DRAW-2026-Q4-410105。检查期间 2026-10-01 至 2026-12-31 已履约的承诺（金水区）共 5 项" in text
    assert "检查结果：符合承诺 1 项，存在轻微问题 0 项，不实承诺 1 项；尚待检查 0 项。" in text
    assert f"承诺 {hex32(chosen)}：不实承诺；检查报告摘要 0x{'66' * 32}；上链交易 0x{5102:064x}。" in text
    assert hex32(passed_over) not in text  # not a result of this draw (the public page flags it)
    assert get_announcement(session, announced.id, on=date(2027, 1, 15)) == announced


def test_a_draw_whose_selection_cannot_be_recomputed_is_not_announced(session):
    plant_revealed_draw(session)
    session.execute(InspectionPool.__table__.delete())  # the pools unpublished: no verifiable selection
    session.commit()
    record_outcome(session, 102, FIRST, SELECTION.commitments[0], "conforms")
    assert inspection_results(session, date(2027, 12, 31)) == []
