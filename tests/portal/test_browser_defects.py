"""Issue 16, items 7 and 8 in a real browser (Debian's chromium, headless, Playwright), at 390 × 844 and
1280 × 800: every portal page a visitor, an enterprise, the office and the regulator can reach is no
wider than the viewport and carries no serious or critical axe-core violation (both checked in one visit;
saved as a PNG in var/screenshots/), a voucher number with "/" verifies, the estimator fits with each
amount's sign on its line, and the collection chart's district labels do not overlap."""

import json
import re
from urllib.parse import quote

from playwright.sync_api import expect

from ledger.core.identifiers import DISTRICTS
from tests.portal.browser import (  # noqa: F401  (log_in, width_of, SCREENSHOTS: imported from here too)
    SCREENSHOTS,
    both_sizes,
    browsing,
    log_in,
    looks_right,
    serious_violations,
    width_of,
)
from tests.support.samples import make_uscc


def pages_of(public_world) -> dict[str | None, list[str]]:
    """Every page each visitor can reach (None: anonymous), with its screenshot's name."""
    code = public_world.assessed_code
    return {
        None: [
            "/",
            "/inquiry",
            "/verify",
            "/estimate",
            "/estimate?district=410173&required_area=123456.78&built_area=0&reason=AFFORDABLE_HOUSING",
            f"/projects/{code}",
            f"/receipts/{public_world.vouchers[0]}",
            f"/receipts/{public_world.slashed_voucher}",
            "/inquiry?project_code=2026-41",
            "/verify?voucher_number=%3F%3F",
            "/receipts/NO-SUCH-VOUCHER-1",
            "/estimate?district=999999&required_area=abc&built_area=-1",
            "/no-such-page",
            "/login",
            "/announcements",
            "/announcements/rate-table-v1",
            "/announcements/2025-reduction-policy-v1",
            "/announcements/no-such-announcement",
        ],
        "portal-ent": [
            "/workspace",
            "/workspace/credit",
            f"/workspace/projects/{code}",
            f"/workspace/commitments/{public_world.commitments[0]}/evidence",
            "/office",
        ],
        "portal-office": ["/office"],
        "portal-reg": [
            "/regulator",
            "/regulator/commitments",
            "/regulator?grade=Z",
            "/regulator/money-trail",
            f"/regulator/projects/{code}/money-trail",
            f"/regulator/enterprises/{make_uscc(803)}",
            f"/regulator/enterprises/{make_uscc(801)}?as_of=2026-01-01T08:30:15",
        ],
    }


def shot_name(who: str | None, path: str, width: int) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "home"
    return f"{who or 'public'}--{slug[:80]}--{width}.png"


@both_sizes
def test_every_portal_page_fits_the_viewport_has_no_serious_axe_violation_and_is_saved(
    chromium, portal_url, public_world, axe_source, viewport
):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    too_wide, violations = {}, {}
    for who, paths in pages_of(public_world).items():
        with browsing(chromium, viewport, axe_source) as context:
            page = context.new_page()
            if who:
                log_in(page, portal_url, who)
            for path in paths:
                page.goto(portal_url + path)
                page.wait_for_load_state("load")
                expect(page.get_by_role("heading", level=1)).to_be_visible()
                page.screenshot(path=SCREENSHOTS / shot_name(who, path, viewport["width"]), full_page=True)
                if width_of(page) > viewport["width"]:
                    too_wide[f"{who} {path}"] = width_of(page)
                if found := serious_violations(page):
                    violations[f"{who} {path}"] = found
    assert too_wide == {}
    assert violations == {}, json.dumps(violations, ensure_ascii=False, indent=1)


@both_sizes
def test_a_voucher_number_with_a_slash_verifies(chromium, portal_url, public_world, axe_source, viewport):
    with browsing(chromium, viewport, axe_source) as context:
        page = context.new_page()
        page.goto(portal_url + "/verify")
        page.get_by_label("缴款凭证号").fill(public_world.slashed_voucher.lower())
        page.get_by_role("button", name="核验").click()
        expect(page.get_by_text("凭证有效")).to_be_visible()
        assert page.url.endswith("/receipts/" + public_world.slashed_voucher)
        looks_right(page, viewport)
        page.get_by_role("link", name="向链上节点复核").click()
        expect(page.locator("#chain-check")).to_contain_text("复核一致")
        looks_right(page, viewport)
        page.goto(
            portal_url + "/receipts/" + quote(public_world.slashed_voucher, safe="")
        )  # %2F, as some scanners send
        expect(page.get_by_text("凭证有效")).to_be_visible()


@both_sizes
def test_the_estimator_fits_and_each_amount_keeps_its_sign_on_its_line(chromium, portal_url, axe_source, viewport):
    with browsing(chromium, viewport, axe_source) as context:
        page = context.new_page()
        page.goto(portal_url + "/estimate")
        page.get_by_label("所在区县").select_option("410173")
        page.get_by_label("应建防空地下室面积（m²）").fill("123456.78")
        page.get_by_label("实建防空地下室面积（m²）").fill("0")
        page.get_by_label("减免情形（如适用）").select_option("AFFORDABLE_HOUSING")
        page.get_by_role("button", name="测算").click()
        expect(page.get_by_role("heading", name="测算结果")).to_be_visible()
        looks_right(page, viewport)
        amounts = page.locator(".result .amount")
        assert amounts.count() == 5
        for index in range(amounts.count()):  # one line each: the "−" never alone on a line
            assert amounts.nth(index).evaluate("element => element.getClientRects().length") == 1
            box = amounts.nth(index).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        expect(amounts.nth(3)).to_have_text(re.compile(r"^−¥[0-9,]+\.[0-9]{2}$"))


# How many labels of the chart overlap another, drawn with every district of Zhengzhou (ECharts'
# own text elements, in their rotated boxes).
OVERLAPS = """labels => {
  const element = document.getElementById("collection-chart");
  const rows = labels.map((label, i) => ({key: String(i), label: label, amount_fen: (i + 1) * 1000000}));
  const month = {key: "2026-06", label: "2026-06", amount_fen: 1};
  const chart = drawCollectionChart(element, {by_district: rows, by_month: [month]});
  const texts = chart.getZr().storage.getDisplayList(true).filter(e => labels.includes(e.style && e.style.text));
  const boxes = texts.map(t => {
    const box = t.getBoundingRect().clone();
    box.applyTransform(t.getComputedTransform());
    return box;
  });
  let overlaps = 0;
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => { if (a.intersect(b)) overlaps += 1; }));
  return {drawn: texts.length, overlaps: overlaps};
}"""


@both_sizes
def test_the_district_labels_of_the_regulators_chart_do_not_overlap(chromium, portal_url, viewport):
    context = chromium.new_context(viewport=viewport, locale="zh-CN")
    try:
        page = context.new_page()
        log_in(page, portal_url, "portal-reg")
        page.goto(portal_url + "/regulator")
        expect(page.locator("#collection-chart canvas")).to_be_visible()
        drawn = page.evaluate(OVERLAPS, list(DISTRICTS.values()))
        assert drawn == {"drawn": len(DISTRICTS), "overlaps": 0}
        page.screenshot(path=SCREENSHOTS / f"regulator--chart-all-districts--{viewport['width']}.png", full_page=True)
    finally:
        context.close()
