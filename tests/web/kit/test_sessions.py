"""Server-side sessions: the cookie's token names a `login_sessions` row, so logout, a password change and
a new login on the same browser end a session for every copy of its cookie, on the pages and the API."""

from sqlalchemy import func, select

from ledger.access import store
from ledger.access.users import set_password
from tests.web.conftest import PASSWORD, api_login, csrf_of, page_login


def copy_of(site, client):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = site.client()
    thief.cookies.set("ledger_session", client.cookies["ledger_session"])
    return thief


def sessions_of(site, username: str) -> int:
    with site.engine.connect() as conn:
        user_id = store.get_user(conn, username=username).id
        table = store.login_sessions_t
        return conn.execute(select(func.count()).where(table.c.user_id == user_id)).scalar_one()


def test_the_cookie_holds_an_opaque_token_and_the_database_only_its_hash(site):
    with site.client() as client:
        assert api_login(client, "site-office").status_code == 200
        token = client.cookies["ledger_session"]
        with site.engine.connect() as conn:
            ids = [row.id for row in conn.execute(select(store.login_sessions_t.c.id))]
    assert len(token) >= 40 and "site-office" not in token and token not in ids and len(ids) >= 1


def test_after_logout_on_the_portal_a_copied_cookie_opens_nothing(site):
    with site.client() as client:
        assert page_login(client, "site-ent").headers["location"] == "/workspace"
        workspace = client.get("/workspace")
        assert workspace.status_code == 200
        thief = copy_of(site, client)
        assert thief.get("/workspace").status_code == 200  # the copy works while the session lasts
        out = client.post("/logout", data={"csrf_token": csrf_of(workspace.text)})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        refused = thief.get("/workspace")
        assert refused.status_code == 303 and refused.headers["location"].startswith("/login?next=")
        assert thief.get("/v1/auth/session").status_code == 401


def test_after_logout_on_the_api_a_copied_cookie_opens_nothing(site):
    with site.client() as client:
        csrf = api_login(client, "site-office").json()["csrf_token"]
        thief = copy_of(site, client)
        assert thief.get("/v1/auth/session").json()["username"] == "site-office"
        assert client.post("/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
        refused = thief.get("/v1/auth/session")
        assert refused.status_code == 401 and refused.json()["rule"] == "valid_session"
        assert thief.get("/office").status_code == 303


def test_a_password_change_ends_every_session_of_the_user_and_the_new_password_works(site):
    first, second = site.client(), site.client()
    assert page_login(first, "site-ent").status_code == 303
    assert api_login(second, "site-ent").status_code == 200
    set_password(site.engine, username="site-ent", password="a brand new password")
    try:
        assert first.get("/workspace").status_code == 303
        assert second.get("/v1/auth/session").status_code == 401
        assert sessions_of(site, "site-ent") == 0
        assert api_login(second, "site-ent", PASSWORD).status_code == 401  # the old password is gone
        assert api_login(second, "site-ent", "a brand new password").status_code == 200
    finally:
        set_password(site.engine, username="site-ent", password=PASSWORD)
        first.close()
        second.close()


def test_a_new_login_ends_the_session_the_browser_carried(site):
    with site.client() as client:
        assert api_login(client, "site-office").status_code == 200
        before = copy_of(site, client)
        assert page_login(client, "site-ent").status_code == 303  # someone else logs in on the same browser
        assert before.get("/v1/auth/session").status_code == 401
        assert client.get("/v1/auth/session").json()["username"] == "site-ent"
