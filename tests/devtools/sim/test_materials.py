"""The approval simulator's materials on file, served over HTTP, read by the portal's declaration guide
through its real client: a project the simulator knows shows its licences and survey report as on file;
an unknown project has nothing on file; an approval system that does not answer is said so."""

import re

import pytest
import requests
from fastapi.testclient import TestClient

from devtools.dev_node import free_port
from devtools.sim.materials import MaterialsOnFile
from devtools.sim.world import World
from ledger.core.settings import get_settings
from web.app import create_app

ON_FILE = "已在审批系统存档，无需重复提交"
ANSWERS = {
    "district": "410105",
    "land_use": "COMMERCIAL",
    "building_type": "HIGH_RISE",
    "above_area": "60000",
    "below_area": "1200",
    "phase": "CONSTRUCTION",
}


@pytest.fixture(scope="module")
def approval():
    world = World(seed=7, run_tag=98)
    world.new_project()
    server = MaterialsOnFile(world, port=free_port()).start()
    try:
        yield server
    finally:
        server.stop()


def guide_client(public_world, materials_url: str) -> TestClient:
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: public_world.settings(
        api={"public_burst": 1000}, portal={"approval_materials_url": materials_url, "approval_timeout_seconds": 2}
    )
    return TestClient(app, follow_redirects=False)


def test_the_simulator_lists_a_known_projects_licences_and_results_with_numbers_and_dates(approval):
    project = approval.world.projects[0]
    answer = requests.get(approval.url_template.replace("{project}", project.code), timeout=10)
    assert answer.status_code == 200 and answer.json()["project_code"] == project.code
    codes = [m["code"] for m in answer.json()["materials"]]
    assert codes == ["LAND_USE_PERMIT", "PLANNING_PERMIT", "SURVEY_REPORT"]
    unknown = requests.get(approval.url_template.replace("{project}", "2026-410105-70-01-999999"), timeout=10)
    assert unknown.status_code == 404


def test_the_guide_for_a_project_the_approval_simulator_knows_lists_its_licences_as_on_file(public_world, approval):
    project = approval.world.projects[0]
    materials = {m["code"]: m for m in project.materials_on_file()}
    with guide_client(public_world, approval.url_template) as pages:
        html = pages.get("/guide", params={**ANSWERS, "project_code": project.code}).text
    for label, code in (("建设用地规划许可证", "LAND_USE_PERMIT"), ("建设工程规划许可证", "PLANNING_PERMIT")):
        item = re.search(rf"<li>{label}：(.*?)</li>", html, re.S).group(1)
        assert ON_FILE in item and materials[code]["number"] in item and materials[code]["issued_on"] in item
    survey = re.search(r"<li>岩土工程勘察报告：(.*?)</li>", html, re.S).group(1)
    assert ON_FILE in survey and materials["SURVEY_REPORT"]["number"] in survey
    design = re.search(r"<li>防空地下室施工图设计文件：(.*?)</li>", html, re.S).group(1)
    assert ON_FILE not in design and "待提交" in design  # not in the approval system: still asked for


def test_a_project_the_simulator_does_not_know_has_nothing_on_file(public_world, approval):
    with guide_client(public_world, approval.url_template) as pages:
        html = pages.get("/guide", params={**ANSWERS, "project_code": "2026-410105-70-01-999999"}).text
    assert ON_FILE not in html and "暂时无法连接审批系统" not in html and "待提交" in html


def test_an_approval_system_that_does_not_answer_is_said_and_the_page_still_answers(public_world):
    silent = f"http://127.0.0.1:{free_port()}/projects/{{project}}/materials"  # nothing listens there
    with guide_client(public_world, silent) as pages:
        response = pages.get("/guide", params={**ANSWERS, "project_code": "2026-410105-70-01-000001"})
    assert response.status_code == 200 and "暂时无法连接审批系统" in response.text and ON_FILE not in response.text
