"""Issue 16 item 8: axe-core finds no serious or critical violation on any portal page (public,
enterprise, office, regulator, error pages) at 390 and 1280 px.

axe-core is the npm package hardhat-local/package.json pins (a devDependency: the portal never serves
it); it is added to each page by Playwright as an init script (the `axe_source` fixture, through the
browser's debugging protocol, so the portal's CSP, which allows no inline script, stays as it is). Every
page is checked where it is visited, once per size, as its width is measured: the walk over every page
(tests/portal/test_browser_defects.py), the walk over the later pages (test_browser_walk.py) and each
journey (tests/portal/browser.py's `looks_right`). Here: that the check can fail."""

from tests.portal.browser import AXE_RUN, FAILING, PHONE, browsing


def test_axe_runs_on_the_pages_and_reports_a_field_without_its_label(chromium, portal_url, axe_source):
    """The checks can fail: the login form with its labels taken away is a critical violation."""
    with browsing(chromium, PHONE, axe_source) as context:
        page = context.new_page()
        page.goto(portal_url + "/login")
        assert [v for v in page.evaluate(AXE_RUN) if v["impact"] in FAILING] == []
        page.evaluate("() => document.querySelectorAll('label').forEach(label => label.remove())")
        violations = {v["id"]: v["impact"] for v in page.evaluate(AXE_RUN)}
        assert violations.get("label") == "critical"
