"""The office workspace in a real browser at 390 × 844 (Debian's chromium, headless, Playwright), on
a world of its own: a clerk assesses a project from the work queue and the builder sees the levy; a
clerk records a reduction and the levy changes. The command page follows each write live (its
script polls the status) while the test plays the writer and the indexer."""

import os
import re

import pytest
from playwright.sync_api import Page, expect

from ledger.domain import fees
from portal.pages import yuan
from tests.api.conftest import ApiProcess
from tests.portal.office_world import office_world  # noqa: F401
from tests.portal.test_browser_defects import PHONE, log_in, width_of


@pytest.fixture(scope="module")
def office_url(office_world, tmp_path_factory):  # noqa: F811
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": office_world.path.url,
        "LEDGER_RPC_URL": office_world.path.chain.node.url,
        "LEDGER_MANIFEST_PATH": str(office_world.manifest_path),
        "LEDGER_API_PUBLIC_BURST": "1000",
    }
    server = ApiProcess(env, tmp_path_factory.mktemp("office-portal") / "api.log")
    try:
        server.wait_ready()
        yield server.url
    finally:
        server.stop()


def fits(page: Page) -> None:
    assert width_of(page) <= PHONE["width"], page.url


def follow_until_indexed(page: Page, world) -> None:
    """The command page says 已受理; once the writer and the indexer have run, its script shows 已入账."""
    expect(page.locator("#command-status")).to_have_text(re.compile("已受理|已提交|已上链"))
    fits(page)
    world.settle()
    expect(page.locator("#command-status")).to_have_text("已入账", timeout=15_000)


def levy_on_workspace(chromium, url: str, builder: str, levy_number: str) -> str:
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        log_in(page, url, builder)
        page.goto(url + "/workspace")
        fits(page)
        return page.locator("li, tr").filter(has_text=levy_number).first.inner_text()
    finally:
        context.close()


def test_a_clerk_assesses_from_the_queue_and_the_builder_sees_the_levy(chromium, office_url, office_world):  # noqa: F811
    with office_world.path.session() as s:
        levy_fen = fees.preview_assessment(s, project_code=office_world.to_assess).levy_fen
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        log_in(page, office_url, "office-clerk")
        page.goto(office_url + "/office/queue")
        fits(page)
        page.get_by_role("link", name="核定费用").last.click()
        expect(page.locator("#levy")).to_have_text(yuan(levy_fen))
        fits(page)
        page.get_by_role("button", name="确认核定").click()
        follow_until_indexed(page, office_world)
        page.goto(f"{office_url}/office/commitments/{office_world.due_soon}/decide")
        expect(page.get_by_label("决定")).to_be_visible()
        fits(page)
    finally:
        context.close()
    assert yuan(levy_fen) in levy_on_workspace(chromium, office_url, "builder-821", f"{office_world.to_assess}-A1")


def test_a_clerk_records_a_reduction_and_the_levy_changes(chromium, office_url, office_world):  # noqa: F811
    levy_number = f"{office_world.assessed}-A1"
    with office_world.path.session() as s:
        before = fees.preview_assessment(s, project_code=office_world.assessed).levy_fen
    assert yuan(before) in levy_on_workspace(chromium, office_url, "builder-822", levy_number)
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        log_in(page, office_url, "office-clerk")
        page.goto(office_url + "/office/adjust")
        page.get_by_label("项目代码").fill(office_world.assessed)
        page.get_by_label("理由").select_option("SURVEY_REDUCTION")
        page.get_by_label("补缴或核减金额").fill("2000")
        page.get_by_label("依据文件的摘要").fill("f" * 64)
        fits(page)
        page.get_by_role("button", name="提交").click()
        follow_until_indexed(page, office_world)
    finally:
        context.close()
    assert yuan(before - 200_000) in levy_on_workspace(chromium, office_url, "builder-822", levy_number)
