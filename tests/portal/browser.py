"""What every browser journey checks on every page it reaches, at both sizes issue 16 asks for (a phone,
390 × 844, and a desktop, 1280 × 800): nothing wider than the viewport, no serious or critical axe-core
violation (axe is added to each page by the context's init script: `axe_source`, tests/portal/conftest.py),
and, where the page is worth looking at, a screenshot in var/screenshots/ (git-ignored)."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from devtools import REPO_ROOT
from tests.portal.conftest import PASSWORD

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
VIEWPORTS = {"390": PHONE, "1280": DESKTOP}
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"
# WCAG 2.1 A and AA rules and axe's best practices; the impacts that fail the test.
AXE_RUN = """() => axe.run(document, {runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]})
  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                     targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5)})))"""
FAILING = {"serious", "critical"}
# An accepted command is 已入账 once the worker's beat has drained the outbox (every second), the node has
# mined it and an indexer has mirrored it: seconds; the margin is for a loaded machine.
INDEXED_WITHIN_MS = 30_000


def both_sizes(function):
    """Run a journey at 390 and at 1280 px: its `viewport` argument."""
    return pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())(function)


def width_of(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def serious_violations(page: Page) -> list[dict]:
    return [v for v in page.evaluate(AXE_RUN) if v["impact"] in FAILING]


@contextmanager
def browsing(chromium: Browser, viewport: dict, axe_source: str) -> Iterator[BrowserContext]:
    """A fresh context (its own cookies) of that size, zh-CN, with axe-core on every page it opens."""
    context = chromium.new_context(viewport=viewport, locale="zh-CN")
    context.add_init_script(script=axe_source)
    try:
        yield context
    finally:
        context.close()


def looks_right(page: Page, viewport: dict, shot: str | None = None) -> None:
    """The page fits the viewport and axe finds nothing serious or critical; saved as `shot` when named."""
    page.wait_for_load_state("load")
    assert width_of(page) <= viewport["width"], f"{page.url} is {width_of(page)} px wide"
    assert serious_violations(page) == [], page.url
    if shot:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{shot}--{viewport['width']}.png", full_page=True)


def log_in(page: Page, base: str, username: str, password: str | None = None) -> None:
    """Through the login form, as a person does (the portal users' password unless given)."""
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password or PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name=re.compile("^退出"))).to_be_visible()


def follow_live(page: Page) -> None:
    """The page shows its command's status (any but 失败: the worker may already have indexed it), and is
    marked, so that a reload, which would lose the mark, is told apart from the page's script following the
    status (window.followedLive)."""
    expect(page.locator("#command-status")).to_have_text(re.compile("已受理|已提交|已上链|已入账"))
    page.evaluate("window.followedLive = true")


def indexed_live(page: Page) -> None:
    """After follow_live: the page's script shows 已入账 within INDEXED_WITHIN_MS, the page never reloaded."""
    expect(page.locator("#command-status")).to_have_text("已入账", timeout=INDEXED_WITHIN_MS)
    assert page.evaluate("window.followedLive === true"), f"{page.url} was reloaded, not followed live"
