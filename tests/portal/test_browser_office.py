"""The office workspace in a real browser (Debian's chromium, headless, Playwright) at 390 × 844 and
1280 × 800, on one world of its own for the module: a clerk assesses a project from the work queue and
the builder sees the levy; a clerk records a reduction with its report (a PDF uploaded, never a typed
hash) and the levy changes; a clerk extends a commitment with its approval document. The command page
follows each write live (its script polls the status) while the Celery worker and the indexer loop,
running beside the API as `make run` starts them on PostgreSQL, carry it to the chain and the read model,
until 已入账; the clerk then downloads the document from the command page and the builder from its
project's timeline. Every page is no wider than the viewport, with no serious or critical axe-core
violation; the ones worth looking at are saved in var/screenshots/."""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from ledger.access.users import add_user
from ledger.domain import fees, projects
from portal.pages import yuan
from tests.api.conftest import ApiProcess
from tests.portal.browser import both_sizes, browsing, follow_live, indexed_live, log_in, looks_right
from tests.portal.conftest import PASSWORD
from tests.portal.office_world import days_from_today, office_processes, office_world  # noqa: F401
from tests.support.documents import pdf
from tests.support.samples import make_uscc, project, project_code

ANOTHER_TO_ASSESS = 823  # the 1280 px clerk's project (the world's own, 821, is the 390 px one's)
OFFICE_DATABASE = "postgresql"  # the world's database, as in production (tests/portal/office_world.py)


@pytest.fixture(scope="module")
def office_url(office_world, office_processes, tmp_path_factory):  # noqa: F811
    folder = tmp_path_factory.mktemp("office-portal")
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": office_world.path.url,
        "LEDGER_RPC_URL": office_world.path.chain.node.url,
        "LEDGER_MANIFEST_PATH": str(office_world.manifest_path),
        "LEDGER_API_PUBLIC_BURST": "1000",
        "LEDGER_DOCUMENTS_DIRECTORY": str(folder / "documents"),
    }
    server = ApiProcess(env, folder / "api.log")
    try:
        server.wait_ready()
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def to_assess(office_world, office_processes) -> dict[int, tuple[str, str]]:  # noqa: F811
    """Per width: a project registered and not yet assessed, and its builder's user (the registration
    indexed by the worker: `settle()` waits for it)."""
    with office_world.path.session() as s:
        projects.register_project(s, project=project(ANOTHER_TO_ASSESS), client="approval")
        s.commit()
    office_world.settle()
    builder = f"builder-{ANOTHER_TO_ASSESS}"
    add_user(office_world.engine, username=builder, password=PASSWORD, role="enterprise", uscc=make_uscc(823))
    return {390: (office_world.to_assess, "builder-821"), 1280: (project_code(ANOTHER_TO_ASSESS), builder)}


def follow_until_indexed(page: Page, viewport: dict, shot: str) -> None:
    """The command page shows the command's status; nothing but the worker and the indexer loop moves it on,
    and the page's script follows it, without a reload, to 已入账."""
    follow_live(page)
    looks_right(page, viewport)
    indexed_live(page)
    looks_right(page, viewport, shot)


def downloaded(page: Page, link_name: str | re.Pattern) -> tuple[str, bytes]:
    """Click the link and take what the browser saves: a download (an attachment), never a page."""
    with page.expect_download() as download:
        page.get_by_role("link", name=link_name).click()
    return download.value.suggested_filename, Path(download.value.path()).read_bytes()


@contextmanager
def builder_page(
    chromium: Browser, url: str, builder: str, path: str, viewport: dict, axe_source: str, shot: str = ""
) -> Iterator[Page]:
    """The builder's page at `path`, checked (and saved as `shot`), open while the block runs."""
    with browsing(chromium, viewport, axe_source) as context:
        page = context.new_page()
        log_in(page, url, builder)
        page.goto(url + path)
        looks_right(page, viewport, shot)
        yield page


def levy_on_workspace(chromium, url: str, builder: str, levy_number: str, viewport: dict, axe_source: str) -> str:
    with builder_page(chromium, url, builder, "/workspace", viewport, axe_source) as page:
        return page.locator("li, tr").filter(has_text=levy_number).first.inner_text()


@both_sizes
def test_a_clerk_assesses_from_the_queue_and_the_builder_sees_the_levy(
    chromium,
    office_url,
    office_world,  # noqa: F811
    to_assess,
    axe_source,
    viewport,
):
    code, builder = to_assess[viewport["width"]]
    with office_world.path.session() as s:
        levy_fen = fees.preview_assessment(s, project_code=code).levy_fen
    with browsing(chromium, viewport, axe_source) as context:
        page = context.new_page()
        log_in(page, office_url, "office-clerk")
        page.goto(office_url + "/office/queue")
        looks_right(page, viewport)
        page.locator("li").filter(has_text=code).get_by_role("link", name="核定费用").click()
        expect(page.locator("#levy")).to_have_text(yuan(levy_fen))
        looks_right(page, viewport)
        page.get_by_role("button", name="确认核定").click()
        follow_until_indexed(page, viewport, "office-clerk--assessment-indexed")
    assert yuan(levy_fen) in levy_on_workspace(chromium, office_url, builder, f"{code}-A1", viewport, axe_source)


@both_sizes
def test_a_clerk_records_a_reduction_with_its_report_and_the_levy_changes_and_both_download_the_report(
    chromium,
    office_url,
    office_world,  # noqa: F811
    axe_source,
    viewport,
    tmp_path,
):
    code, levy_number = office_world.assessed, f"{office_world.assessed}-A1"
    report = tmp_path / f"联合测绘报告-{viewport['width']}.pdf"
    report.write_bytes(pdf(viewport["width"]))
    with office_world.path.session() as s:
        before = fees.preview_assessment(s, project_code=code).levy_fen
    assert yuan(before) in levy_on_workspace(chromium, office_url, "builder-822", levy_number, viewport, axe_source)
    with browsing(chromium, viewport, axe_source) as context:
        page = context.new_page()
        log_in(page, office_url, "office-clerk")
        page.goto(office_url + "/office/adjust")
        page.get_by_label("项目代码").fill(code)
        page.get_by_label("理由").select_option("SURVEY_REDUCTION")
        page.get_by_label("补缴或核减金额").fill("2000")
        page.get_by_label("依据文件").set_input_files(report)
        looks_right(page, viewport, "office-clerk--adjust-with-document")
        page.get_by_role("button", name="提交").click()
        follow_until_indexed(page, viewport, "office-clerk--adjustment-indexed-with-document")
        name, content = downloaded(page, f"下载：{report.name}")
        assert name.endswith(".pdf") and content == report.read_bytes()
    assert yuan(before - 200_000) in levy_on_workspace(
        chromium, office_url, "builder-822", levy_number, viewport, axe_source
    )
    path, shot = f"/workspace/projects/{code}", "builder-822--project-with-office-document"
    with builder_page(chromium, office_url, "builder-822", path, viewport, axe_source, shot) as page:
        step = page.locator("li.step-adjusted").filter(has_text=report.name)
        expect(step).to_have_count(1)
        with page.expect_download() as download:
            step.get_by_role("link", name=f"下载依据文件：{report.name}").click()
        assert Path(download.value.path()).read_bytes() == report.read_bytes()


@both_sizes
def test_a_clerk_extends_a_commitment_with_its_approval_document_and_the_builder_downloads_it(
    chromium,
    office_url,
    office_world,  # noqa: F811
    axe_source,
    viewport,
    tmp_path,
):
    number = office_world.due_soon if viewport["width"] == 390 else office_world.later
    approval = tmp_path / f"延期批复-{viewport['width']}.pdf"
    approval.write_bytes(pdf(10_000 + viewport["width"]))
    with browsing(chromium, viewport, axe_source) as context:
        page = context.new_page()
        log_in(page, office_url, "office-clerk")
        page.goto(f"{office_url}/office/commitments/{number}/decide")
        page.get_by_label("决定").select_option("extend")
        page.get_by_label("新的到期日").fill(days_from_today(120))
        page.get_by_label("依据文件").set_input_files(approval)
        looks_right(page, viewport, "office-clerk--decide-with-document")
        page.get_by_role("button", name="提交决定").click()
        follow_until_indexed(page, viewport, "office-clerk--decision-indexed-with-document")
        name, content = downloaded(page, f"下载：{approval.name}")
        assert name.endswith(".pdf") and content == approval.read_bytes()
    path = f"/workspace/projects/{office_world.assessed}"
    with builder_page(chromium, office_url, "builder-822", path, viewport, axe_source) as page:
        step = page.locator("li.step-commitment_extended").filter(has_text=approval.name)
        expect(step).to_have_count(1)
        with page.expect_download() as download:
            step.get_by_role("link", name=f"下载依据文件：{approval.name}").click()
        assert Path(download.value.path()).read_bytes() == approval.read_bytes()
