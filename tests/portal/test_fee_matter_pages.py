"""The enterprise's project page as one place for the whole fee matter (issue 16, item 6), on the
shared public world: the assessed project of portal-ent has its assessment, two payments and two
commitments on chain, a part of the fee still owed and an open levy."""

import re

from playwright.sync_api import expect

from tests.portal.conftest import PASSWORD, PHONE


def test_the_project_page_shows_every_step_in_chain_order_with_its_proof_and_what_comes_next(people, public_world):
    code = public_world.assessed_code
    page = people["portal-ent"].get(f"/workspace/projects/{code}")
    assert page.status_code == 200
    html = page.text
    timeline = html[html.index('<ol class="timeline">') : html.index("</ol>", html.index('<ol class="timeline">'))]
    kinds = re.findall(r'<li class="step step-([a-z_]+)', timeline)
    assert sorted(kinds) == sorted(["assessed", "payment", "payment", "commitment_recorded", "commitment_recorded"])
    assert kinds.index("assessed") < kinds.index("payment")
    assert timeline.count('<details class="proof">') == 5  # every step is a chain fact with its proof
    assert html.count('class="step step-payment step-current"') == 1  # the fee's latest step: what comes next
    for voucher in public_world.vouchers:
        assert f'href="http://testserver/receipts/{voucher}"' in timeline  # the payment's public proof page
    next_section = html[html.index('id="next"') : html.index('id="timeline-heading"')]
    assert "贵单位" in next_section and "请缴纳尚欠的" in next_section
    assert f'href="http://127.0.0.1:8100/checkout/{code}-A1"' in next_section  # the tax system's checkout
    for number in public_world.commitments:
        assert f'href="/workspace/commitments/{number}/evidence"' in next_section
    assert 'id="nothing-expected"' not in html
    assert "部分缴纳" in html and f'href="http://testserver/projects/{code}"' in html


def test_a_project_with_nothing_on_chain_says_the_office_assesses_and_nothing_is_asked_of_the_enterprise(
    people, public_world
):
    html = people["portal-other"].get(f"/workspace/projects/{public_world.unassessed_code}").text
    next_section = html[html.index('id="next"') : html.index('id="timeline-heading"')]
    assert "人防办" in next_section and "尚未核定" in next_section
    assert "贵单位</strong>" not in next_section and 'class="button"' not in next_section
    assert '<details class="proof">' not in html and "尚未上链" in html


def test_another_enterprises_project_page_is_a_404_that_shows_nothing_of_its_matter(people, public_world):
    refused = people["portal-other"].get(f"/workspace/projects/{public_world.assessed_code}")
    assert refused.status_code == 404 and "不是贵单位的项目" in refused.text
    assert 'class="timeline"' not in refused.text and public_world.vouchers[0] not in refused.text


def test_on_a_phone_the_timeline_is_not_wider_than_the_viewport(chromium, portal_url, public_world):
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(portal_url + "/login")
        page.get_by_label("用户名").fill("portal-ent")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("button", name=re.compile("^退出"))).to_be_visible()
        page.goto(f"{portal_url}/workspace/projects/{public_world.assessed_code}")
        timeline = page.locator("ol.timeline")
        expect(timeline.locator("li")).to_have_count(5)
        page.locator("ol.timeline details.proof").first.locator("summary").click()  # an open proof, its hashes
        box = timeline.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        expect(page.get_by_role("link", name="提交履约材料")).to_have_count(2)  # one per commitment
    finally:
        context.close()
