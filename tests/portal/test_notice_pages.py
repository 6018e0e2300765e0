"""The enterprise's notices page: its own reminders and outcomes, newest first, linked from the workspace."""

import time
from datetime import date

from sqlmodel import Session

from ledger.db.supervision_model import EnterpriseNotice
from tests.portal.conftest import USERS


def test_an_enterprise_sees_its_own_notices_and_no_one_else_s(people, public_world):
    mine, other = USERS["portal-ent"][1], USERS["portal-other"][1]
    with Session(public_world.engine) as s:
        for uscc, number, kind, tx in (
            (mine, "CN-NOTICE-1", "due_in_7d", None),
            (mine, "CN-NOTICE-1", "overdue", "0x" + "ab" * 32),
            (other, "CN-NOTICE-2", "due_in_1d", None),
        ):
            s.add(
                EnterpriseNotice(
                    enterprise_uscc=uscc,
                    project_code="2026-410102-47-01-000801",
                    commitment_number=number,
                    kind=kind,
                    due_date=date(2026, 12, 24),
                    transaction_hash=tx,
                    created_at=time.time(),
                )
            )
        s.commit()
    assert "/workspace/notices" in people["portal-ent"].get("/workspace").text
    page = people["portal-ent"].get("/workspace/notices").text
    assert "承诺将于 7 天内到期" in page and "承诺已逾期（链上已标记）" in page and "0x" + "ab" * 32 in page
    assert page.index("承诺已逾期") < page.index("承诺将于 7 天内到期")  # newest first
    assert "CN-NOTICE-2" not in page
    assert "CN-NOTICE-2" in people["portal-other"].get("/workspace/notices").text
    assert people["portal-reg"].get("/workspace/notices").status_code == 403


def test_a_repair_application_s_steps_read_with_the_notice_period_s_end_and_the_rejection_s_reason(
    people, public_world
):
    mine = USERS["portal-ent"][1]
    with Session(public_world.engine) as s:
        for kind, day, detail in (
            ("repair_published", date(2026, 12, 10), None),
            ("repair_rejected", date(2026, 12, 11), "整改材料不全 <b>"),
        ):
            s.add(
                EnterpriseNotice(
                    enterprise_uscc=mine,
                    project_code="2026-410102-47-01-000801",
                    commitment_number="CN-NOTICE-REPAIR",
                    kind=kind,
                    due_date=day,
                    created_at=time.time(),
                    repair_application_id="a" * 32,
                    detail=detail,
                )
            )
        s.commit()
    page = people["portal-ent"].get("/workspace/notices").text
    assert "信用修复申请已公示" in page and "公示期至 2026-12-10" in page
    assert "信用修复申请未通过" in page and "决定日期 2026-12-11" in page
    assert "原因：整改材料不全 &lt;b&gt;" in page  # the office's words, escaped
