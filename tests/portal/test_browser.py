"""One walk through the public's pages in a real browser: Debian's chromium, headless, driven by
Playwright at a phone's width (390 px). Chromium must be installed (`make install` does it); a
missing browser fails this test, it never skips."""

import os
import re

from playwright.sync_api import expect

from ledger.access.users import add_user
from tests.portal.conftest import PHONE


def test_on_a_phone_a_person_looks_up_a_project_opens_its_receipt_and_sees_the_qr_and_proof(
    chromium, portal_url, public_world
):
    page = chromium.new_page(viewport=PHONE, locale="zh-CN")
    try:
        page.goto(portal_url + "/")
        page.get_by_role("link", name="公众查询").click()
        page.get_by_label("项目代码").fill(public_world.assessed_code)
        page.get_by_role("button", name="查询").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("样例项目 801")
        expect(page.get_by_text("部分缴纳")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling

        page.get_by_role("link", name="缴款凭证核验").first.click()
        page.get_by_label("缴款凭证号").fill(public_world.vouchers[0])
        page.get_by_role("button", name="核验").click()
        expect(page.get_by_text("凭证有效")).to_be_visible()
        qr = page.locator("figure.qr svg")
        expect(qr).to_be_visible()
        assert 150 <= qr.bounding_box()["width"] <= PHONE["width"]
        page.locator("details.proof summary").first.click()
        expect(page.get_by_role("group").get_by_text("交易哈希", exact=True)).to_be_visible()
        expect(page.locator("details.proof dd.hash").nth(1)).to_have_text(re.compile(r"^0x[0-9a-f]{64}$"))
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        page.get_by_role("link", name="向链上节点复核").click()
        expect(page.locator("#chain-check")).to_contain_text("复核一致")
        if os.environ.get("PORTAL_SCREENSHOT"):  # a PNG to look at: PORTAL_SCREENSHOT=/tmp/receipt.png
            page.screenshot(path=os.environ["PORTAL_SCREENSHOT"], full_page=True)
    finally:
        page.close()


def test_on_a_phone_a_regulator_logs_in_and_sees_the_grade_list_and_the_collection_chart(
    chromium, portal_url, public_world
):
    add_user(public_world.engine, username="browser-reg", password="browser regulator password", role="regulator")
    page = chromium.new_page(viewport=PHONE, locale="zh-CN")
    try:
        page.goto(portal_url + "/regulator")  # anonymous: the login page, then back here
        page.get_by_label("用户名").fill("browser-reg")
        page.get_by_label("密码").fill("browser regulator password")
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("监管驾驶舱")
        expect(page.locator("#enterprises tbody tr")).to_have_count(2)  # the assessed and the lapsed builders
        canvas = page.locator("#collection-chart canvas")
        expect(canvas).to_be_visible()
        box = canvas.bounding_box()
        assert box["width"] > 300 and box["height"] > 200
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.get_by_label("信用等级", exact=True).select_option("A")
        page.get_by_role("button", name="筛选").click()
        expect(page.locator("#enterprises tbody tr")).to_have_count(1)
        if os.environ.get("PORTAL_SCREENSHOT"):
            page.screenshot(path=os.environ["PORTAL_SCREENSHOT"].replace(".png", "-regulator.png"), full_page=True)
    finally:
        page.close()
