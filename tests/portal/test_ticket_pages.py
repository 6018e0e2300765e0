"""咨询、投诉建议 pages (portal.ticket_pages, portal.ticket_desk_pages) on their own database: a citizen
files a complaint past the arithmetic question, the office answers it before the deadline, the citizen
reads it by ticket number and code and rates it; an unanswered ticket past its deadline is overdue on
the regulator's page; an answer the office publishes is found in the FAQ. Bad input names its field
and writes nothing; too many submissions from one address are refused."""

import asyncio
import re
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from ledger.core.field_encryption import field_cipher
from ledger.domain import tickets
from tests.portal.conftest import csrf_of, log_in
from tests.portal.tickets_world import OFFICE, PASSWORD, REGULATOR, challenge_answer, make_tickets_world
from web.app import create_app

WEEK = 7 * 86_400


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = make_tickets_world(tmp_path_factory.mktemp("tickets-pages"))
    yield world
    world.engine.dispose()


@pytest.fixture(scope="module")
def app(world):
    return create_app(world.settings(api={"public_burst": 1000}, tickets={"submissions_per_hour": 1000}))


@pytest.fixture
def citizen(app):
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="module")
def office(app):
    with TestClient(app, follow_redirects=False) as client:
        assert log_in(client, OFFICE, PASSWORD).status_code == 303
        yield client


@pytest.fixture(scope="module")
def regulator(app):
    with TestClient(app, follow_redirects=False) as client:
        assert log_in(client, REGULATOR, PASSWORD).status_code == 303
        yield client


def count(world) -> int:
    with world.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM tickets")).scalar()


def submit(client: TestClient, **fields):
    form = client.get("/tickets/new")
    data = {
        "kind": "complaint",
        "topic": "service",
        "title": "窗口无人",
        "body": "周五下午窗口无人办理。",
        "contact": "13800138000",
        **challenge_answer(form.text),
        **fields,
    }
    return client.post("/tickets/new", data=data)


def number_and_code(html: str) -> tuple[str, str]:
    number = re.search(r'id="ticket-number">([A-Z0-9]+)<', html).group(1)
    return number, re.search(r'id="ticket-code">([A-Z0-9]+)<', html).group(1)


def test_a_complaint_is_answered_in_time_read_by_number_and_code_and_rated(citizen, office, world):
    filed = submit(citizen)
    assert filed.status_code == 201 and "已受理您的投诉" in filed.text
    assert filed.headers["cache-control"].startswith("no-store")
    number, code = number_and_code(filed.text)
    waiting = citizen.post("/tickets/follow", data={"number": number, "code": code})
    assert waiting.status_code == 200 and "尚未答复" in waiting.text

    queue = office.get("/office/tickets")
    assert number in queue.text and "待答复" in queue.text
    page = office.get(f"/office/tickets/{number}")
    assert "13800138000" in page.text  # the office reads the contact to write back
    answered = office.post(
        f"/office/tickets/{number}/answer", data={"answer": "已安排专人值守。", "csrf_token": csrf_of(page.text)}
    )
    assert answered.status_code == 303

    thread = citizen.post("/tickets/follow", data={"number": number, "code": code.lower()})
    assert "已安排专人值守。" in thread.text and "已超期" not in thread.text
    rated = citizen.post("/tickets/rate", data={"number": number, "code": code, "rating": "satisfied"})
    assert rated.status_code == 200 and "您的评价：<strong>满意</strong>" in rated.text
    again = citizen.post("/tickets/rate", data={"number": number, "code": code, "rating": "unsatisfied"})
    assert again.status_code == 422 and "每件只能评价一次" in again.text and "<strong>满意</strong>" in again.text


def test_a_wrong_code_shows_nothing_of_the_ticket(citizen):
    number, code = number_and_code(submit(citizen, title="只给本人看").text)
    wrong = ("A" if code[0] != "A" else "B") + code[1:]
    refused = citizen.post("/tickets/follow", data={"number": number, "code": wrong})
    assert refused.status_code == 404 and "只给本人看" not in refused.text
    assert "受理编号或查询码不正确" in refused.text
    rating = citizen.post("/tickets/rate", data={"number": number, "code": wrong, "rating": "satisfied"})
    assert rating.status_code == 404 and "只给本人看" not in rating.text


def test_unsatisfied_without_a_reason_is_refused_naming_the_field(citizen, office):
    number, code = number_and_code(submit(citizen).text)
    page = office.get(f"/office/tickets/{number}")
    office.post(f"/office/tickets/{number}/answer", data={"answer": "已处理。", "csrf_token": csrf_of(page.text)})
    refused = citizen.post("/tickets/rate", data={"number": number, "code": code, "rating": "unsatisfied"})
    assert refused.status_code == 422 and "理由（rating_reason）" in refused.text
    rated = citizen.post(
        "/tickets/rate", data={"number": number, "code": code, "rating": "unsatisfied", "rating_reason": "没解决"}
    )
    assert "不满意" in rated.text and "没解决" in rated.text


def test_a_wrong_challenge_answer_or_a_forged_token_writes_nothing(citizen, world):
    before = count(world)
    form = citizen.get("/tickets/new")
    solved = challenge_answer(form.text)
    wrong = submit(citizen, challenge_answer=str(int(solved["challenge_answer"]) + 1))
    assert wrong.status_code == 422 and "验证题答案不正确" in wrong.text
    forged_token = re.sub(r"^\d+", "1", solved["challenge_token"])
    forged = submit(citizen, challenge_token=forged_token, challenge_answer="2")
    assert forged.status_code == 422 and "验证题已失效" in forged.text
    not_ascii = submit(citizen, challenge_token="1.2.3.4.é", challenge_answer="3")  # was a 500 (compare_digest)
    assert not_ascii.status_code == 422 and "验证题已失效" in not_ascii.text
    assert count(world) == before


def test_bad_input_names_the_field_and_keeps_what_was_typed(citizen, world):
    before = count(world)
    refused = submit(citizen, contact="打电话给我", title="保留的标题")
    assert refused.status_code == 422 and "联系方式（contact）" in refused.text and "保留的标题" in refused.text
    project = submit(citizen, topic="project", project_code="2026-41")
    assert project.status_code == 422 and "项目代码（project_code）" in project.text
    assert count(world) == before


def test_too_many_submissions_from_one_address_are_refused(world):
    app = create_app(world.settings(api={"public_burst": 1000}, tickets={"submissions_per_hour": 2}))
    with TestClient(app) as client:
        assert [submit(client).status_code for _ in range(3)] == [201, 201, 429]
        refused = submit(client)
        assert "提交过于频繁" in refused.text and int(refused.headers["retry-after"]) > 0


def test_an_unanswered_ticket_past_its_deadline_is_overdue_on_the_regulator_page(regulator, world):
    with Session(world.engine) as session:  # filed three weeks ago: the clock moved, not waited for
        late = tickets.submit(
            session,
            kind="suggestion",
            topic="service",
            title="无人答复的建议",
            body="……",
            contact="someone@example.com",
            cipher=field_cipher(),
            settings=world.settings().tickets,
            now=time.time() - 5 * WEEK,
        )
        session.commit()
    page = regulator.get("/regulator/tickets")
    assert page.status_code == 200
    overdue = page.text.split('id="overdue"')[1].split("</ul>")[0]
    assert late.ticket.number in overdue and "无人答复的建议" in overdue
    assert "someone@example.com" not in page.text  # the regulator sees no contact


def test_an_answer_the_office_publishes_is_found_in_the_faq_and_an_unpublished_one_is_not(citizen, office):
    published, _ = number_and_code(submit(citizen, kind="consultation", title="缴费地点在哪里").text)
    private, _ = number_and_code(submit(citizen, kind="consultation", title="缴费地点私下问").text)
    for number, public in ((published, {"faq": "on"}), (private, {})):
        page = office.get(f"/office/tickets/{number}")
        office.post(
            f"/office/tickets/{number}/answer",
            data={"answer": "税务大厅二楼。", "csrf_token": csrf_of(page.text), **public},
        )
    found = citizen.get("/faq", params={"q": "缴费地点"})
    assert "缴费地点在哪里" in found.text and "缴费地点私下问" not in found.text
    assert "没有与“无此问题”相关" in citizen.get("/faq", params={"q": "无此问题"}).text


def test_an_empty_answer_is_refused_naming_the_field(office, citizen):
    number, _ = number_and_code(submit(citizen).text)
    page = office.get(f"/office/tickets/{number}")
    refused = office.post(f"/office/tickets/{number}/answer", data={"answer": " ", "csrf_token": csrf_of(page.text)})
    assert refused.status_code == 422 and "答复（answer）" in refused.text
    assert "待答复" in office.get(f"/office/tickets/{number}").text


def test_the_desk_pages_are_for_their_roles_and_posts_need_the_csrf_token(citizen, office, regulator):
    assert citizen.get("/office/tickets").status_code == 303  # to the login page
    assert regulator.get("/office/tickets").status_code == 403
    assert office.get("/regulator/tickets").status_code == 403
    number, _ = number_and_code(submit(citizen).text)
    assert office.post(f"/office/tickets/{number}/answer", data={"answer": "x"}).status_code == 403
    assert office.get("/office/tickets/ZX20260101999999").status_code == 404


def test_the_ticket_pages_carry_no_inline_script(citizen, office, regulator):
    pages = [citizen.get(p).text for p in ("/tickets/new", "/tickets/follow", "/faq")]
    pages += [office.get("/office/tickets").text, regulator.get("/regulator/tickets").text]
    assert all("<script" not in html for html in pages)


def test_the_desk_posts_do_their_database_work_off_the_event_loop(office, citizen, monkeypatch):
    """A blocking database call inside an `async def` handler stalls every other request: the answer
    and the publication run in the thread pool, where no event loop is running."""
    on_the_loop = []

    def watched(service):
        def call(*args, **kwargs):
            try:
                asyncio.get_running_loop()
                on_the_loop.append(service.__name__)
            except RuntimeError:  # no loop in this thread: a worker of the pool
                pass
            return service(*args, **kwargs)

        return call

    for name in ("answer", "publish_as_faq", "office_ticket"):
        monkeypatch.setattr(tickets, name, watched(getattr(tickets, name)))
    number, _ = number_and_code(submit(citizen).text)
    token = csrf_of(office.get(f"/office/tickets/{number}").text)
    answered = office.post(f"/office/tickets/{number}/answer", data={"answer": "已安排专人值守。", "csrf_token": token})
    published = office.post(f"/office/tickets/{number}/faq", data={"public": "on", "csrf_token": token})
    refused = office.post(f"/office/tickets/{number}/answer", data={"answer": " ", "csrf_token": token})
    assert (answered.status_code, published.status_code, refused.status_code) == (303, 303, 422)
    assert on_the_loop == []
