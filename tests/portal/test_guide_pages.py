"""The declaration guide's pages (TestClient, a fake approval system): the questions, the outcome with
the estimator's fee and the rules' version, what is on file marked "nothing to upload", an unreachable
approval system said so (never a 500), and bad answers named."""

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from ledger.core.settings import get_settings
from ledger.domain.guide import MaterialOnFile
from portal.approval_materials import ApprovalUnreachable
from portal.guide_pages import approval_materials_of
from web.app import create_app

PROJECT = "2026-410105-70-01-000123"
ON_FILE = "已在审批系统存档，无需重复提交"
ANSWERS = {
    "district": "410105",
    "land_use": "RESIDENTIAL",
    "building_type": "HIGH_RISE",
    "above_area": "50000",
    "below_area": "1000",
    "phase": "PLANNING",
}


class FakeApproval:
    def __init__(self, materials: dict[str, list[MaterialOnFile]] | None = None, reachable: bool = True):
        self.materials, self.reachable, self.asked = materials or {}, reachable, []

    def on_file(self, project_code: str) -> list[MaterialOnFile]:
        self.asked.append(project_code)
        if not self.reachable:
            raise ApprovalUnreachable("connection refused")
        return self.materials.get(project_code, [])


@pytest.fixture(scope="module")
def app(public_world):
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: public_world.settings(api={"public_burst": 1000})
    return app


@pytest.fixture
def pages(app):
    with TestClient(app, follow_redirects=False) as client:
        yield client
    app.dependency_overrides.pop(approval_materials_of, None)


def use(app, approval: FakeApproval) -> FakeApproval:
    app.dependency_overrides[approval_materials_of] = lambda: approval
    return approval


def test_the_guide_asks_its_questions_with_labels_and_names_its_rules_version(pages):
    html = pages.get("/guide").text
    assert "智能申报指引" in html and "sample-v1" in html and "样例规则" in html
    for field in ("district", "land_use", "building_type", "above_area", "below_area", "phase", "project_code"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html
    assert '<form method="get"' in html and "<script" not in html
    assert '/guide">申报指引</a>' in pages.get("/").text  # in the navigation


def test_a_basement_short_of_the_required_area_builds_part_and_pays_the_estimators_fee(pages):
    html = pages.get("/guide", params=ANSWERS).text
    assert "不足部分缴纳人防易地建设费" in html
    assert "2,500.00 m²" in html and "1,000.00 m²" in html  # required, on site
    estimated = pages.get(
        "/estimate", params={"district": "410105", "required_area": "2500", "built_area": "1000"}
    ).text
    amount = re.search(r"<dt>易地建设费</dt><dd><span class=\"amount\">([^<]+)</span>", estimated).group(1)
    version = re.search(r"费率表第 (\d+) 版", estimated).group(1)
    assert amount == "¥3,000,000.00" and amount in html and f"费率表第 {version} 版" in html
    assert "易地建设申请书" in html and "待提交" in html and ON_FILE not in html  # no project code: nothing fetched


def test_a_building_that_holds_its_shelter_needs_no_fee_and_a_reduction_shows_what_it_takes_off(pages):
    built = pages.get("/guide", params={**ANSWERS, "below_area": "5000"}).text
    assert "应结合地下室修建防空地下室，无需缴纳易地建设费" in built and "易地建设费（测算）" not in built
    affordable = pages.get("/guide", params={**ANSWERS, "land_use": "AFFORDABLE_HOUSING", "below_area": "0"}).text
    # 2,500 m² × 2,000 yuan = 5,000,000 yuan, halved by the sample policy
    assert "保障性住房，减半征收（样例）" in affordable and '可减 <span class="amount">¥2,500,000.00' in affordable
    assert "减免证明文件" in affordable


def test_with_a_project_code_what_the_approval_system_holds_is_marked_nothing_to_upload(app, pages):
    permit = MaterialOnFile("LAND_USE_PERMIT", "地字第4101052026000123号", date(2026, 2, 1))
    approval = use(app, FakeApproval({PROJECT: [permit]}))
    html = pages.get("/guide", params={**ANSWERS, "project_code": f" {PROJECT} "}).text
    assert approval.asked == [PROJECT]
    held = re.search(r"<li>建设用地规划许可证：(.*?)</li>", html, re.S).group(1)
    assert ON_FILE in held and "地字第4101052026000123号" in held and "2026-02-01" in held
    planning = re.search(r"<li>建设工程规划许可证：(.*?)</li>", html, re.S).group(1)
    assert ON_FILE not in planning and "待提交" in planning


def test_an_unreachable_approval_system_is_said_and_everything_is_to_be_provided(app, pages):
    use(app, FakeApproval(reachable=False))
    response = pages.get("/guide", params={**ANSWERS, "project_code": PROJECT})
    assert response.status_code == 200
    assert "暂时无法连接审批系统" in response.text and ON_FILE not in response.text
    assert response.text.count("待提交") == 6  # every material of a build-and-fee outcome


def test_bad_answers_re_render_the_form_naming_each_field(app, pages):
    approval = use(app, FakeApproval())
    response = pages.get(
        "/guide",
        params={**ANSWERS, "district": "110105", "land_use": "MOON", "above_area": "-1", "project_code": "2026-41"},
    )
    assert response.status_code == 422 and approval.asked == []
    for named in (
        "所在区县（district）",
        "用地性质（land_use）",
        "地上总建筑面积（above_area）",
        "项目代码（project_code）",
    ):
        assert named in response.text
    assert 'aria-invalid="true"' in response.text and "结论" not in response.text
