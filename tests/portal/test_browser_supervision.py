"""The supervision pages in a real browser (Debian's chromium, headless) at a phone's width and a
desktop's: the regulator asks for a reconciliation, sees its result and drills down to a finding with
its proof; an enterprise reads its notices. No sideways scrolling, long hashes wrap."""

import time
from datetime import date

from playwright.sync_api import expect
from sqlalchemy import delete
from sqlmodel import Session

from ledger.db.supervision_model import EnterpriseNotice, TaxStatementLine
from ledger.domain import reconciliation
from tests.portal.conftest import PASSWORD, PHONE, USERS

DESKTOP = {"width": 1280, "height": 800}


def log_in(page, portal_url: str, path: str, username: str, password: str) -> None:
    page.goto(portal_url + path)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def no_sideways_scrolling(page, viewport) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_a_regulator_asks_for_a_reconciliation_and_drills_down_to_a_finding_with_its_proof(
    chromium, portal_url, public_world
):
    voucher, amount = public_world.vouchers[0], public_world.amounts[0]
    with Session(public_world.engine) as s:  # the tax system's statement says another amount
        s.add(
            TaxStatementLine(
                day=date(2026, 11, 30),
                voucher_number=voucher,
                levy_number="L-1",
                amount_fen=amount + 1,
                paid_at=1_764_468_000,
                received_at=0,
            )
        )
        s.commit()
    try:
        for viewport in (PHONE, DESKTOP):
            page = chromium.new_page(viewport=viewport, locale="zh-CN")
            try:
                log_in(page, portal_url, "/regulator", "portal-reg", PASSWORD)
                page.get_by_role("link", name="对账", exact=True).click()
                page.get_by_role("button", name="立即对账").click()
                with Session(public_world.engine) as s:  # what the worker does on its next tick
                    run = reconciliation.due_run(s, every_seconds=86_400)
                    s.commit()
                    reconciliation.reconcile(s, now=int(time.time()), sweep_slack_seconds=0, audit=None, run=run)
                    s.commit()
                page.get_by_role("link", name="对账", exact=True).click()
                page.get_by_role("link", name="金额不一致").click()
                finding = page.locator("#findings li.finding-amount_mismatch")
                expect(finding).to_have_count(1)
                expect(finding).to_contain_text(voucher)
                expect(finding.locator(".hash")).to_contain_text("0x")
                no_sideways_scrolling(page, viewport)
                page.get_by_role("link", name="企业信用").click()
                expect(page.locator("#reconciliation-heading")).to_be_visible()
                no_sideways_scrolling(page, viewport)
            finally:
                page.close()
    finally:
        with Session(public_world.engine) as s:
            s.execute(delete(TaxStatementLine))
            s.commit()


def test_an_enterprise_reads_its_notices_from_its_workspace(chromium, portal_url, public_world):
    with Session(public_world.engine) as s:
        s.add(
            EnterpriseNotice(
                enterprise_uscc=USERS["portal-ent"][1],
                project_code="2026-410102-47-01-000801",
                commitment_number="CN-BROWSER-1",
                kind="breached",
                due_date=date(2026, 12, 24),
                transaction_hash="0x" + "cd" * 32,
                created_at=time.time(),
            )
        )
        s.commit()
    for viewport in (PHONE, DESKTOP):
        page = chromium.new_page(viewport=viewport, locale="zh-CN")
        try:
            log_in(page, portal_url, "/workspace", "portal-ent", PASSWORD)
            page.get_by_role("link", name="提醒与通知").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("提醒与通知")
            expect(page.locator("#notices li.notice-breached")).to_contain_text("CN-BROWSER-1")
            no_sideways_scrolling(page, viewport)
        finally:
            page.close()
