"""A receipt printed from its page (issue 16, item 2): the print stylesheet lays it out on one A4 page
with no navigation nor buttons, the proof written out, and the QR code with the verification address
it encodes — in Debian's chromium (Playwright), as a person's browser prints it."""

import re

from playwright.sync_api import expect

from tests.portal.conftest import PHONE
from tests.portal.test_browser_defects import SCREENSHOTS

A4_MM = (210, 297)


def test_a_printed_receipt_is_one_a4_page_without_navigation_showing_the_qr_and_its_address(
    chromium, portal_url, public_world
):
    voucher = public_world.vouchers[0]
    page = chromium.new_page(viewport=PHONE, locale="zh-CN")
    try:
        page.goto(f"{portal_url}/receipts/{voucher}")
        expect(page.get_by_role("button", name="打印凭证（A4）")).to_be_visible()  # the script shows it
        expect(page.locator("#printed-proof")).to_be_hidden()  # on screen, the <details> holds the proof
        page.emulate_media(media="print")
        expect(page.locator("header.site")).to_be_hidden()
        expect(page.locator("footer.site")).to_be_hidden()
        expect(page.get_by_role("button", name="打印凭证（A4）")).to_be_hidden()
        expect(page.get_by_role("link", name="向链上节点复核")).to_be_hidden()
        expect(page.locator(".qr svg")).to_be_visible()
        expect(page.locator(".qr figcaption .hash")).to_have_text(re.compile(rf"/receipts/{voucher}$"))
        expect(page.locator("#printed-proof")).to_be_visible()
        expect(page.locator("#printed-proof")).to_contain_text(
            page.locator("details.proof dd.hash").nth(1).inner_text()
        )
        expect(page.get_by_text(voucher, exact=True)).to_be_visible()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / "public--receipt-printed.png", full_page=True)
        pdf = page.pdf(prefer_css_page_size=True, print_background=False)
        boxes = re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf)
        assert len(boxes) == 1  # one page
        size_mm = tuple(float(points) / 72 * 25.4 for points in boxes[0])  # (the browser's default is Letter)
        assert all(abs(got - a4) < 1 for got, a4 in zip(size_mm, A4_MM)), size_mm  # the stylesheet's @page A4
    finally:
        page.close()
