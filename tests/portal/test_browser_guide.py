"""The declaration guide in a real browser (Debian's chromium, headless, Playwright) at 390 × 844 and
1280 × 800: the questions answered by a person, the outcome, and a project the approval simulator knows
with its licences marked on file; nothing wider than the viewport, no serious or critical axe-core
violation. Saved as a PNG in var/screenshots/."""

import os

import pytest
from playwright.sync_api import expect

from devtools.dev_node import free_port
from devtools.sim.materials import MaterialsOnFile
from devtools.sim.world import World
from tests.api.conftest import ApiProcess
from tests.portal.browser import both_sizes, browsing, looks_right


@pytest.fixture(scope="module")
def guide_site(public_world, tmp_path_factory):
    """The app served by uvicorn, its guide reading the approval simulator's materials on file."""
    world = World(seed=11, run_tag=97)
    world.new_project()
    approval = MaterialsOnFile(world, port=free_port()).start()
    env = {
        **os.environ,
        **public_world.env(),
        "LEDGER_API_PUBLIC_BURST": "1000",
        "LEDGER_PORTAL_APPROVAL_MATERIALS_URL": approval.url_template,
    }
    server = ApiProcess(env, tmp_path_factory.mktemp("guide") / "api.log")
    try:
        server.wait_ready()
        yield server.url, world.projects[0]
    finally:
        server.stop()
        approval.stop()


@both_sizes
def test_a_person_answers_the_guide_and_sees_the_licences_on_file(chromium, guide_site, axe_source, viewport):
    base, project = guide_site
    with browsing(chromium, viewport, axe_source) as context:
        page = context.new_page()
        page.goto(base + "/guide")
        looks_right(page, viewport)
        page.get_by_label("所在区县").select_option("410105")
        page.get_by_label("用地性质").select_option("RESIDENTIAL")
        page.get_by_label("建筑类型").select_option("HIGH_RISE")
        page.get_by_label("地上总建筑面积").fill("50000")
        page.get_by_label("地下建筑面积").fill("1000")
        page.get_by_label("当前审批阶段").select_option("PLANNING")
        page.get_by_label("项目代码").fill(project.code)
        page.get_by_role("button", name="生成指引").click()
        expect(page.get_by_role("heading", name="结论")).to_be_visible()
        expect(page.get_by_text("不足部分缴纳人防易地建设费")).to_be_visible()
        licence = page.locator("ul.checklist li", has_text="建设用地规划许可证")
        expect(licence).to_contain_text("已在审批系统存档，无需重复提交")
        expect(licence).to_contain_text(project.materials_on_file()[0]["number"])
        expect(page.locator("ul.checklist li", has_text="易地建设申请书")).to_contain_text("待提交")
        looks_right(page, viewport, "public--guide-with-project")
