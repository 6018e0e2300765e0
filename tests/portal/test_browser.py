"""One walk through the public's pages in a real browser: Debian's chromium, headless, driven by
Playwright at a phone's width (390 × 844) and a desktop's (1280 × 800), each page no wider than the
viewport and without a serious or critical axe-core violation. Chromium must be installed (`make
install` does it); a missing browser fails this test, it never skips."""

import os
import re

from playwright.sync_api import expect

from ledger.access.users import add_user
from tests.portal.browser import both_sizes, browsing, looks_right


@both_sizes
def test_a_person_looks_up_a_project_opens_its_receipt_and_sees_the_qr_and_proof(
    chromium, portal_url, public_world, axe_source, viewport
):
    with browsing(chromium, viewport, axe_source) as context:
        page = context.new_page()
        page.goto(portal_url + "/")
        looks_right(page, viewport)
        page.get_by_role("link", name="公众查询").click()
        page.get_by_label("项目代码").fill(public_world.assessed_code)
        page.get_by_role("button", name="查询").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("样例项目 801")
        expect(page.get_by_text("部分缴纳")).to_be_visible()
        looks_right(page, viewport)  # no sideways scrolling

        page.get_by_role("link", name="缴款凭证核验").first.click()
        page.get_by_label("缴款凭证号").fill(public_world.vouchers[0])
        page.get_by_role("button", name="核验").click()
        expect(page.get_by_text("凭证有效")).to_be_visible()
        qr = page.locator("figure.qr svg")
        expect(qr).to_be_visible()
        assert 150 <= qr.bounding_box()["width"] <= viewport["width"]
        page.locator("details.proof summary").first.click()
        expect(page.get_by_role("group").get_by_text("交易哈希", exact=True)).to_be_visible()
        expect(page.locator("details.proof dd.hash").nth(1)).to_have_text(re.compile(r"^0x[0-9a-f]{64}$"))
        looks_right(page, viewport)

        page.get_by_role("link", name="向链上节点复核").click()
        expect(page.locator("#chain-check")).to_contain_text("复核一致")
        looks_right(page, viewport)
        if os.environ.get("PORTAL_SCREENSHOT"):  # a PNG to look at: PORTAL_SCREENSHOT=/tmp/receipt.png
            page.screenshot(
                path=os.environ["PORTAL_SCREENSHOT"].replace(".png", f"-{viewport['width']}.png"), full_page=True
            )


@both_sizes
def test_a_regulator_logs_in_and_sees_the_grade_list_and_the_collection_chart(
    chromium, portal_url, public_world, axe_source, viewport
):
    username = f"browser-reg-{viewport['width']}"
    add_user(public_world.engine, username=username, password="browser regulator password", role="regulator")
    with browsing(chromium, viewport, axe_source) as context:
        page = context.new_page()
        page.goto(portal_url + "/regulator")  # anonymous: the login page, then back here
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill("browser regulator password")
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("监管驾驶舱")
        expect(page.locator("#enterprises tbody tr")).to_have_count(2)  # the assessed and the lapsed builders
        canvas = page.locator("#collection-chart canvas")
        expect(canvas).to_be_visible()
        box = canvas.bounding_box()
        assert box["width"] > 300 and box["height"] > 200
        looks_right(page, viewport)
        page.get_by_label("信用等级", exact=True).select_option("A")
        page.get_by_role("button", name="筛选").click()
        expect(page.locator("#enterprises tbody tr")).to_have_count(1)
        looks_right(page, viewport)
        if os.environ.get("PORTAL_SCREENSHOT"):
            shot = os.environ["PORTAL_SCREENSHOT"].replace(".png", f"-regulator-{viewport['width']}.png")
            page.screenshot(path=shot, full_page=True)
