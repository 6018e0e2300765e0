"""Questions, complaints and suggestions (ledger.domain.tickets) on SQLite and PostgreSQL: deadlines in
working days, the follow-up code, rating after an answer only, the FAQ, the regulator's summary, and the
submitter's contact stored encrypted."""

from datetime import date, datetime

import pytest
from sqlalchemy import text

from ledger.core.field_encryption import FieldCipher, field_cipher
from ledger.core.settings import DEV_FIELD_KEYS, TicketSettings
from ledger.domain import personal_data, tickets
from ledger.domain.common import SHANGHAI
from ledger.domain.errors import InvalidState, NotFound, ValidationFailed
from ledger.domain.working_days import add_working_days, calendar, is_working_day

SETTINGS = TicketSettings(consultation_days=3, complaint_days=5, suggestion_days=10)


def at(*moment: int) -> float:
    """Unix seconds of a Beijing time."""
    return datetime(*moment, tzinfo=SHANGHAI).timestamp()


def file(session, *, kind="complaint", now=None, **fields):
    values = {
        "kind": kind,
        "topic": "service",
        "title": "窗口办理时间",
        "body": "周五下午窗口无人办理。",
        "contact": "13800138000",
        **fields,
    }
    return tickets.submit(session, cipher=field_cipher(), settings=SETTINGS, now=now, **values)


def test_working_days_skip_the_weekend_and_the_national_holiday_and_count_a_make_up_saturday():
    assert add_working_days(date(2026, 12, 4), 1) == date(2026, 12, 7)  # Friday → Monday
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)  # 国庆 1–7 October
    assert is_working_day(date(2026, 10, 10)) and not is_working_day(date(2026, 10, 11))  # 调休 Saturday
    assert calendar()["version"] == "2026.1"


def test_a_complaint_filed_on_a_friday_is_due_at_the_end_of_its_fifth_working_day(session):
    filed = file(session, now=at(2026, 12, 4, 16, 0))  # a Friday
    assert filed.ticket.number.startswith("TS20261204")
    assert filed.ticket.due_at == datetime(2026, 12, 11, 23, 59, 59, tzinfo=SHANGHAI)  # the next Friday
    consultation = file(session, kind="consultation", now=at(2026, 12, 4, 16, 0))
    assert consultation.ticket.due_at == datetime(2026, 12, 9, 23, 59, 59, tzinfo=SHANGHAI)


def test_the_submitter_reads_the_ticket_with_its_code_and_a_wrong_code_is_not_found(session):
    filed = file(session)
    spaced = filed.code[:4] + "-" + filed.code[4:8].lower() + " " + filed.code[8:]
    assert tickets.read_by_number_and_code(session, number=filed.ticket.number, code=spaced).title == "窗口办理时间"
    wrong = ("A" if filed.code[0] != "A" else "B") + filed.code[1:]
    with pytest.raises(NotFound) as refused:
        tickets.read_by_number_and_code(session, number=filed.ticket.number, code=wrong)
    assert refused.value.field == "code"
    with pytest.raises(NotFound):
        tickets.read_by_number_and_code(session, number="TS20260101000000", code=filed.code)


def test_the_code_and_the_contact_are_not_stored_as_typed(session):
    filed = file(session, contact="citizen@example.com")
    session.commit()
    token, code_hash = session.execute(
        text("SELECT contact_token, code_hash FROM tickets WHERE number = :n"), {"n": filed.ticket.number}
    ).one()
    assert "citizen" not in token and "example" not in token and token.startswith("dev1.")
    assert filed.code not in code_hash and len(code_hash) == 64
    _, contact = tickets.office_ticket(session, number=filed.ticket.number, cipher=field_cipher())
    assert contact == "citizen@example.com"


def test_bad_input_names_the_field_and_writes_nothing(session):
    for fields, name in [
        ({"contact": "call me"}, "contact"),
        ({"title": "  "}, "title"),
        ({"kind": "praise"}, "kind"),
        ({"topic": "project", "project_code": "2026-41"}, "project_code"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            file(session, **fields)
        assert refused.value.field == name
    assert session.execute(text("SELECT count(*) FROM tickets")).scalar() == 0


def test_a_ticket_is_rated_only_after_its_answer_once_and_unsatisfied_needs_a_reason(session):
    filed = file(session)
    number, code = filed.ticket.number, filed.code
    with pytest.raises(InvalidState) as refused:
        tickets.rate(session, number=number, code=code, rating="satisfied")
    assert refused.value.rule == "after_answer"
    tickets.answer(session, number=number, text="已安排专人值守。", by="portal-office")
    with pytest.raises(ValidationFailed) as refused:
        tickets.rate(session, number=number, code=code, rating="unsatisfied")
    assert refused.value.field == "rating_reason"
    rated = tickets.rate(session, number=number, code=code, rating="unsatisfied", reason="仍无人值守")
    assert (rated.rating, rated.rating_reason) == ("unsatisfied", "仍无人值守")
    with pytest.raises(InvalidState):
        tickets.rate(session, number=number, code=code, rating="satisfied")


def test_only_answered_tickets_marked_public_are_found_in_the_faq(session):
    answered = file(session, kind="consultation", title="易地建设费如何缴纳")
    tickets.answer(session, number=answered.ticket.number, text="在线缴纳或到税务窗口。", by="office")
    unpublished = file(session, kind="consultation", title="易地建设费减免条件")
    tickets.answer(session, number=unpublished.ticket.number, text="见减免政策。", by="office")
    unanswered = file(session, kind="consultation", title="易地建设费标准")
    with pytest.raises(InvalidState):
        tickets.publish_as_faq(session, number=unanswered.ticket.number)
    assert tickets.search_faq(session, query="易地建设费") == []
    tickets.publish_as_faq(session, number=answered.ticket.number)
    assert [t.number for t in tickets.search_faq(session, query="税务 缴纳")] == [answered.ticket.number]
    assert tickets.search_faq(session, query="减免") == []


def test_the_regulator_sees_an_unanswered_ticket_past_its_deadline_as_overdue(session):
    late = file(session, now=at(2026, 12, 4, 9, 0))
    on_time = file(session, now=at(2026, 12, 4, 9, 0))
    tickets.answer(session, number=on_time.ticket.number, text="已处理。", by="office", now=at(2026, 12, 7, 10, 0))
    tickets.rate(session, number=on_time.ticket.number, code=on_time.code, rating="satisfied")
    before = tickets.regulator_summary(session, now=at(2026, 12, 11, 23, 0))
    assert before.overdue == [] and before.counts["complaint"] == {"open": 1, "answered": 1, "overdue": 0}
    after = tickets.regulator_summary(session, now=at(2026, 12, 12, 0, 0, 1))
    assert [t.number for t in after.overdue] == [late.ticket.number]
    assert after.counts["complaint"]["overdue"] == 1
    assert after.ratings == {"satisfied": 1, "unsatisfied": 0}


def test_key_rotation_re_encrypts_the_submitters_contact(session):
    filed = file(session, contact="rotate@example.com")
    session.commit()
    new_key = f"k2:{FieldCipher.new_key()}"
    rotated = FieldCipher.from_setting(f"{new_key},{DEV_FIELD_KEYS}")
    assert personal_data.reencrypt(session, cipher=rotated) == 1
    new_only = FieldCipher.from_setting(new_key)  # the development key can now be dropped
    _, contact = tickets.office_ticket(session, number=filed.ticket.number, cipher=new_only)
    assert contact == "rotate@example.com"
