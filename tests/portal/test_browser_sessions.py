"""Sessions and lock-out in a real browser (Debian's chromium, headless, Playwright) at 390 × 844 and
1280 × 800: twenty wrong passwords lock the account and the login page says until when; after logout the
back button shows no private data and the old cookie opens nothing. Each page fits the viewport with no
serious or critical axe-core violation. The API process counts in the real Redis under a prefix of its
own. A missing browser fails these tests, it never skips."""

import os
import uuid

import pytest
from playwright.sync_api import expect

from devtools.dev_node import free_port
from ledger.access.users import add_user
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from tests.api.conftest import ApiProcess
from tests.portal.browser import VIEWPORTS, both_sizes, browsing, looks_right
from tests.support.samples import make_uscc

PASSWORD = "browser sessions password"
COMPANY = "浏览器测试置业有限公司"


@pytest.fixture(scope="module")
def portal_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser-sessions")
    database_url = f"sqlite:///{folder / 'ledger.db'}"
    engine = make_engine(database_url)
    upgrade_schema(engine)
    for width in VIEWPORTS:  # an account to lock at each size
        add_user(engine, username=f"locked-ent-{width}", password=PASSWORD, role="enterprise", uscc=make_uscc(911))
    add_user(
        engine, username="leaving-ent", password=PASSWORD, role="enterprise", uscc=make_uscc(912), display_name=COMPANY
    )
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_RPC_URL": f"http://127.0.0.1:{free_port()}",
        "LEDGER_MANIFEST_PATH": str(folder / "deployment.json"),
        "LEDGER_API_THROTTLE_STORAGE_URL": "redis://127.0.0.1:6379/0",
        "LEDGER_API_THROTTLE_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    server = ApiProcess(env, folder / "api.log")
    try:
        server.wait_ready()
        yield server.url
    finally:
        server.stop()
        engine.dispose()


def log_in(page, username: str, password: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


@both_sizes
def test_twenty_wrong_passwords_lock_the_account_and_the_page_says_until_when(
    portal_url, chromium, axe_source, viewport
):
    account = f"locked-ent-{viewport['width']}"
    with browsing(chromium, viewport, axe_source) as context:
        page = context.new_page()
        page.goto(portal_url + "/login")
        for attempt in range(20):
            log_in(page, account, f"wrong password {attempt}")
            expect(page.locator("#login-error")).to_be_visible()
        expect(page.locator("#login-error")).to_contain_text("登录失败次数过多，该账号已暂时锁定")
        log_in(page, account, PASSWORD)  # the right password, too late
        notice = page.locator("#login-error")
        expect(notice).to_contain_text("该账号已暂时锁定")
        expect(notice).to_contain_text("北京时间")
        expect(page.get_by_role("heading", level=1)).to_have_text("登录")
        looks_right(page, viewport, "public--login-locked")
        assert not [c for c in context.cookies() if c["name"] == "ledger_session"]


@both_sizes
def test_after_logout_the_back_button_shows_nothing_private_and_the_old_cookie_opens_nothing(
    portal_url, chromium, axe_source, viewport
):
    with browsing(chromium, viewport, axe_source) as context:
        page = context.new_page()
        page.goto(portal_url + "/workspace")  # anonymous: the login page, then back here
        log_in(page, "leaving-ent", PASSWORD)
        expect(page.get_by_role("heading", level=1)).to_have_text("企业工作台")
        expect(page.locator("p.hint", has_text=COMPANY)).to_be_visible()
        looks_right(page, viewport)
        old_cookies = [c for c in context.cookies() if c["name"] == "ledger_session"]
        assert len(old_cookies) == 1

        page.get_by_role("button", name=f"退出（{COMPANY}）").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("登录")
        page.go_back()
        expect(page.get_by_role("heading", level=1)).to_have_text("登录")  # asked anew: no session, the login page
        assert COMPANY not in page.content() and "企业工作台" not in page.content()
        looks_right(page, viewport)

        with browsing(chromium, viewport, axe_source) as stranger:
            stranger.add_cookies(old_cookies)
            replay = stranger.new_page()
            replay.goto(portal_url + "/workspace")
            expect(replay.get_by_role("heading", level=1)).to_have_text("登录")
            assert COMPANY not in replay.content()
