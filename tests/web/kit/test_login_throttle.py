"""Login throttling on the portal's /login and the API's /v1/auth/login, counted in the real Redis:
failures per account and per address lock logins out (the right password too) until the window ends;
each attempt is counted before its password is checked; Redis unreachable refuses logins (503)."""

import re
import threading
from concurrent.futures import ThreadPoolExecutor

from tests.web.conftest import WRONG, api_login, page_login, unreachable_redis
from web.kit import login_throttle


def test_twenty_wrong_passwords_on_the_login_page_lock_the_account_and_the_page_says_until_when(site):
    with site.client() as client:
        answers = [page_login(client, "site-ent", WRONG).status_code for _ in range(20)]
        assert answers == [401] * 10 + [429] * 10
        locked = page_login(client, "site-ent")  # the right password
        assert locked.status_code == 429 and "ledger_session" not in client.cookies
        assert "登录失败次数过多，该账号已暂时锁定" in locked.text
        assert re.search(r"请于 \d\d:\d\d（北京时间，约 1[45] 分钟后）再试", locked.text)
        assert 840 <= int(locked.headers["Retry-After"]) <= 900
        assert api_login(client, "site-ent").status_code == 429  # the API shares the count
        assert page_login(client, "site-office").status_code == 303  # another account is not locked


def test_twenty_wrong_passwords_on_the_api_lock_the_account_with_a_429_problem_and_retry_after(site):
    with site.client() as client:
        answers = [api_login(client, "site-office", WRONG).status_code for _ in range(20)]
        assert answers == [401] * 10 + [429] * 10
        locked = api_login(client, "site-office")
        assert locked.status_code == 429 and locked.headers["content-type"] == "application/problem+json"
        problem = locked.json()
        assert problem["type"] == "/problems/login-locked" and problem["field"] == "username"
        assert problem["rule"] == "login_failures" and 840 <= int(locked.headers["Retry-After"]) <= 900
        assert "set-cookie" not in locked.headers


def test_a_successful_login_starts_the_accounts_count_afresh(site):
    with site.client() as client:
        for _ in range(9):
            assert api_login(client, "site-office", WRONG).status_code == 401
        assert api_login(client, "site-office").status_code == 200
        assert [api_login(client, "site-office", WRONG).status_code for _ in range(10)] == [401] * 10
        assert api_login(client, "site-office").status_code == 429


def test_an_address_trying_many_accounts_is_locked_out_while_other_addresses_log_in(site):
    settings = site.settings(login_failures_per_address=5)
    with (
        site.client(settings, client=("198.51.100.20", 5000)) as sprayer,
        site.client(settings, client=("198.51.100.21", 5000)) as other,
    ):
        answers = [api_login(sprayer, f"guess-{n}", WRONG).status_code for n in range(7)]
        assert answers == [401] * 5 + [429] * 2
        refused = api_login(sprayer, "site-office")
        assert refused.status_code == 429 and refused.json()["field"] == "client_ip"
        assert "登录失败次数过多，本地址已暂时锁定" in page_login(sprayer, "site-office").text
        assert api_login(other, "site-office").status_code == 200


def test_successful_logins_do_not_use_up_the_address_limit(site):
    with site.client(site.settings(login_failures_per_address=3)) as client:
        assert all(api_login(client, "site-office").status_code == 200 for _ in range(6))
        assert [api_login(client, f"guess-{n}", WRONG).status_code for n in range(4)] == [401] * 3 + [429]


def test_concurrent_guesses_are_counted_before_any_password_is_checked(site, monkeypatch):
    """30 guesses at once: exactly the 10 the limit allows reach the password check."""
    checked, lock = [], threading.Lock()
    real = login_throttle.authenticate

    def counting(engine, *, username, password):
        with lock:
            checked.append(password)
        return real(engine, username=username, password=password)

    monkeypatch.setattr(login_throttle, "authenticate", counting)
    with site.client() as client, ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(lambda n: api_login(client, "site-ent", f"{WRONG} {n}").status_code, range(30)))
    assert sorted(answers) == [401] * 10 + [429] * 20
    assert len(checked) == 10


def test_with_redis_unreachable_logins_answer_503_and_public_pages_are_served(site):
    with site.client(site.settings(throttle_storage_url=unreachable_redis())) as client:
        refused = api_login(client, "site-office")
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "30"
        assert refused.json()["type"] == "/problems/login-unavailable"
        page = page_login(client, "site-office")
        assert page.status_code == 503 and "登录服务暂时不可用" in page.text and page.headers["Retry-After"] == "30"
        assert "ledger_session" not in client.cookies
        assert client.get("/").status_code == 200
        assert client.get("/estimate").status_code == 200
