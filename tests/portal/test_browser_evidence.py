"""Fulfilment evidence in a real browser (Debian's chromium, headless, Playwright) at 390 × 844 and
1280 × 800, against the app served by uvicorn on the office's world, on PostgreSQL, with the Celery worker and the
indexer loop running beside it as `make run` starts them (nothing in the test process writes to the chain
or indexes): an enterprise uploads evidence, the page follows its submission live until
it is on chain, the clerk opens the file from the queue and accepts it, and the commitment reaches
fulfilled on chain."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlmodel import col

from ledger.db.read_model import Commitment as CommitmentView
from ledger.db.write_model import CommitmentRecord
from tests.api.conftest import ApiProcess
from tests.portal.browser import AXE_RUN, DESKTOP, FAILING, PHONE, follow_live, indexed_live, log_in, width_of
from tests.portal.office_world import office_processes, office_world  # noqa: F401
from tests.support.documents import pdf

OFFICE_DATABASE = "postgresql"  # the world's database, as in production (tests/portal/office_world.py)


@pytest.fixture(scope="module")
def evidence_url(office_world, office_processes, tmp_path_factory):  # noqa: F811
    folder = tmp_path_factory.mktemp("evidence-portal")
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


def status_on_chain(world, number: str) -> str:
    with world.path.session() as s:
        key = s.get(CommitmentRecord, number).commitment_key
        return s.execute(select(CommitmentView.status).where(col(CommitmentView.commitment) == key)).scalar_one()


@pytest.mark.parametrize(("viewport", "number"), [(PHONE, "due_soon"), (DESKTOP, "later")], ids=["390", "1280"])
def test_an_enterprise_uploads_evidence_the_clerk_accepts_it_and_the_commitment_is_fulfilled_on_chain(
    chromium,
    evidence_url,
    office_world,  # noqa: F811
    tmp_path,
    axe_source,  # noqa: F811
    viewport,
    number,
):
    number = getattr(office_world, number)
    scan = tmp_path / "验收报告.pdf"
    scan.write_bytes(pdf(len(number) + viewport["width"]))

    def fits(page: Page) -> None:
        """No wider than the viewport, and no serious or critical accessibility violation (axe-core)."""
        assert width_of(page) <= viewport["width"], page.url
        page.wait_for_load_state("load")
        assert [v for v in page.evaluate(AXE_RUN) if v["impact"] in FAILING] == [], page.url

    builder = chromium.new_context(viewport=viewport, locale="zh-CN")
    clerk = chromium.new_context(viewport=viewport, locale="zh-CN")
    for context in (builder, clerk):
        context.add_init_script(script=axe_source)
    try:
        page = builder.new_page()
        log_in(page, evidence_url, "builder-822")
        page.goto(evidence_url + "/workspace")
        page.locator("li").filter(has_text=number).get_by_role("link", name=re.compile("履约材料")).click()
        expect(page.get_by_role("heading", name="提交履约材料")).to_be_visible()
        fits(page)
        page.get_by_label("履约材料文件").set_input_files(scan)
        page.get_by_role("button", name="提交材料").click()
        follow_live(page)
        fits(page)
        indexed_live(page)
        expect(page.locator("#submissions")).to_contain_text("待人防办审查")

        office = clerk.new_page()
        log_in(office, evidence_url, "office-clerk")
        office.goto(evidence_url + "/office/queue")
        fits(office)
        office.locator("li").filter(has_text=number).get_by_role("link", name="审查材料").click()
        fits(office)
        with office.expect_download() as download:
            office.get_by_role("link", name=re.compile("^下载")).click()
        assert download.value.suggested_filename.endswith(".pdf")
        assert Path(download.value.path()).read_bytes() == scan.read_bytes()
        office.get_by_role("button", name="认定履约").click()
        follow_live(office)
        indexed_live(office)

        page.reload()
        expect(page.locator("#commitment-status")).to_have_text("已履约")
        expect(page.locator("#submissions")).to_contain_text("审查通过")
        fits(page)
    finally:
        builder.close()
        clerk.close()
    assert status_on_chain(office_world, number) == "fulfilled"
