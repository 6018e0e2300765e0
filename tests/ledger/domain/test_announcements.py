"""Announcements: one per rate table the chain published, dated by its block; from the data file, a
notice shows only in its period, and a malformed entry is refused naming its field."""

from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy import insert

from ledger.core.identifiers import document_hash
from ledger.db.read_model import BlockTime, Rate, RateTable
from ledger.domain.announcements import Announcement, get_announcement, list_announcements
from ledger.domain.errors import NotFound
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
