"""Announcements from the data file: a notice shows only in its period, and a malformed entry is
refused naming its field."""

from datetime import date

import pytest
from pydantic import ValidationError

from ledger.domain.announcements import Announcement


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
