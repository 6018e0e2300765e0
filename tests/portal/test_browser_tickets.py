"""咨询、投诉建议 in a real browser (Debian's chromium, headless, Playwright) at 390 × 844 and 1280 × 800:
a citizen files a complaint, the office answers it, the citizen reads the answer by ticket number and
code and rates it; a ticket left unanswered past its deadline shows as overdue to the regulator. Every
page fits the viewport with no serious or critical axe-core violation. The server runs on the tickets
pages' own database (no chain)."""

import os
import re
import time

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session

from ledger.core.field_encryption import field_cipher
from ledger.domain import tickets
from tests.api.conftest import ApiProcess
from tests.portal.browser import both_sizes, browsing, looks_right
from tests.portal.tickets_world import OFFICE, PASSWORD, REGULATOR, make_tickets_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = make_tickets_world(tmp_path_factory.mktemp("tickets-browser"))
    yield world
    world.engine.dispose()


@pytest.fixture(scope="module")
def late_ticket(world) -> str:
    """A consultation filed five weeks ago and never answered (the clock moved through `now`)."""
    with Session(world.engine) as session:
        late = tickets.submit(
            session,
            kind="consultation",
            topic="service",
            title="一直没有答复的咨询",
            body="易地建设费何时缴纳？",
            contact="asker@example.com",
            cipher=field_cipher(),
            settings=world.settings().tickets,
            now=time.time() - 35 * 86_400,
        )
        session.commit()
    return late.ticket.number


@pytest.fixture(scope="module")
def server_url(world, tmp_path_factory):
    env = {**os.environ, **world.env(), "LEDGER_API_PUBLIC_BURST": "1000", "LEDGER_TICKETS_SUBMISSIONS_PER_HOUR": "100"}
    server = ApiProcess(env, tmp_path_factory.mktemp("tickets-server") / "api.log")
    try:
        server.wait_ready()
        yield server.url
    finally:
        server.stop()


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name=re.compile("^退出"))).to_be_visible()


@both_sizes
def test_a_complaint_is_answered_read_by_number_and_code_and_rated(chromium, server_url, axe_source, viewport):
    with browsing(chromium, viewport, axe_source) as citizen, browsing(chromium, viewport, axe_source) as office:
        page = citizen.new_page()
        page.goto(server_url + "/")
        page.get_by_role("link", name="咨询投诉").click()
        page.get_by_label("投诉", exact=True).check()
        page.get_by_label("标题").fill("窗口下午无人")
        page.get_by_label("内容").fill("周五下午三点窗口无人办理，等了一个小时。")
        page.get_by_label("联系方式（手机、固定电话或电子邮箱）").fill("13800138000")
        question = page.locator("label[for=challenge_answer]").inner_text()
        a, b = map(int, re.search(r"(\d+) \+ (\d+)", question).groups())
        page.get_by_label(re.compile("^验证题")).fill(str(a + b))
        looks_right(page, viewport)
        page.get_by_role("button", name="提交").click()
        expect(page.get_by_role("heading", name="已受理您的投诉")).to_be_visible()
        looks_right(page, viewport)
        number, code = page.locator("#ticket-number").inner_text(), page.locator("#ticket-code").inner_text()

        desk = office.new_page()
        log_in(desk, server_url, OFFICE)
        desk.goto(server_url + "/office/tickets")
        looks_right(desk, viewport)
        desk.get_by_role("link", name=number).click()
        expect(desk.get_by_text("13800138000")).to_be_visible()
        desk.get_by_label("答复", exact=True).fill("已安排专人下午值守，感谢反映。")
        looks_right(desk, viewport)
        desk.get_by_role("button", name="提交答复").click()
        expect(desk.get_by_text("已答复", exact=True)).to_be_visible()

        page.get_by_role("link", name="查看答复").click()
        page.get_by_label("受理编号").fill(number)
        page.get_by_label("查询码").fill(code)
        page.get_by_role("button", name="查看").click()
        expect(page.locator("#answer")).to_have_text("已安排专人下午值守，感谢反映。")
        looks_right(page, viewport)
        page.get_by_label("满意", exact=True).check()
        page.get_by_role("button", name="提交评价").click()
        expect(page.locator("#rating")).to_contain_text("满意")
        looks_right(page, viewport)
        page.goto(server_url + "/faq?q=" + "易地建设费")
        expect(page.get_by_role("heading", name="常见问题")).to_be_visible()
        looks_right(page, viewport)


@both_sizes
def test_the_regulator_sees_an_unanswered_ticket_past_its_deadline_as_overdue(
    chromium, server_url, late_ticket, axe_source, viewport
):
    with browsing(chromium, viewport, axe_source) as context:
        page = context.new_page()
        log_in(page, server_url, REGULATOR)
        page.goto(server_url + "/regulator")
        page.get_by_role("link", name="咨询投诉").last.click()
        expect(page.get_by_role("heading", name="咨询、投诉建议监督")).to_be_visible()
        expect(page.locator("#overdue")).to_contain_text(late_ticket)
        expect(page.locator("#counts")).to_contain_text("咨询")
        looks_right(page, viewport)
