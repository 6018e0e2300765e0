"""Issue 16 item 8: axe-core finds no serious or critical violation on any portal page (public,
enterprise, office, regulator, error pages) at 390 and 1280 px.

axe-core is the npm package hardhat-local/package.json pins (a devDependency: the portal never serves
it); it is added to each page by Playwright as an init script (through the browser's debugging
protocol, so the portal's CSP, which allows no inline script, stays as it is)."""

import json

import pytest

from devtools import REPO_ROOT
from tests.portal.test_browser_defects import log_in, pages_of

AXE_PACKAGE = REPO_ROOT / "hardhat-local" / "node_modules" / "axe-core"
VIEWPORTS = {"390": {"width": 390, "height": 844}, "1280": {"width": 1280, "height": 800}}
# WCAG 2.1 A and AA rules and axe's best practices; the impacts that fail the test.
AXE_RUN = """() => axe.run(document, {runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]})
  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                     targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5)})))"""
FAILING = {"serious", "critical"}


@pytest.fixture(scope="module")
def axe_source() -> str:
    pinned = json.loads((REPO_ROOT / "hardhat-local" / "package.json").read_text())["devDependencies"]["axe-core"]
    installed = json.loads((AXE_PACKAGE / "package.json").read_text())["version"]
    assert installed == pinned, f"axe-core {installed} is installed but package.json pins {pinned}: run npm ci"
    return (AXE_PACKAGE / "axe.min.js").read_text()


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_axe_finds_no_serious_or_critical_violation_on_any_page(
    chromium, portal_url, public_world, axe_source, viewport
):
    found = {}
    for who, paths in pages_of(public_world).items():
        context = chromium.new_context(viewport=viewport, locale="zh-CN")
        context.add_init_script(script=axe_source)
        try:
            page = context.new_page()
            if who:
                log_in(page, portal_url, who)
            for path in paths:
                page.goto(portal_url + path)
                page.wait_for_load_state("load")
                violations = [v for v in page.evaluate(AXE_RUN) if v["impact"] in FAILING]
                if violations:
                    found[(who, path)] = violations
        finally:
            context.close()
    assert found == {}, json.dumps(
        {f"{who} {path}": v for (who, path), v in found.items()}, ensure_ascii=False, indent=1
    )


def test_axe_runs_on_the_pages_and_reports_a_field_without_its_label(chromium, portal_url, axe_source):
    """The check above can fail: the login form with its labels taken away is a critical violation."""
    context = chromium.new_context(viewport=VIEWPORTS["390"], locale="zh-CN")
    context.add_init_script(script=axe_source)
    try:
        page = context.new_page()
        page.goto(portal_url + "/login")
        assert [v for v in page.evaluate(AXE_RUN) if v["impact"] in FAILING] == []
        page.evaluate("() => document.querySelectorAll('label').forEach(label => label.remove())")
        violations = {v["id"]: v["impact"] for v in page.evaluate(AXE_RUN)}
        assert violations.get("label") == "critical"
    finally:
        context.close()
