"""People: Argon2id passwords, an HttpOnly SameSite session cookie (a server-side session), CSRF on state changes."""

import requests

from ledger.access.users import authenticate, end_all_sessions
from ledger.access import store
from tests.api.conftest import PASSWORD, project_code

LOGIN = "/v1/auth/login"


def test_login_sets_an_httponly_samesite_cookie_and_returns_a_csrf_token(api):
    response = requests.post(api.url + LOGIN, json={"username": "office1", "password": PASSWORD}, timeout=30)
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert response.json()["role"] == "office" and len(response.json()["csrf_token"]) == 64


def test_a_wrong_password_and_an_unknown_user_get_the_same_problem(api):
    wrong = requests.post(api.url + LOGIN, json={"username": "office1", "password": "wrong password!"}, timeout=30)
    unknown = requests.post(api.url + LOGIN, json={"username": "nobody", "password": PASSWORD}, timeout=30)
    for response in (wrong, unknown):
        assert response.status_code == 401 and "set-cookie" not in response.headers
        assert response.json()["type"] == "/problems/login-failed"
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_a_username_with_a_control_character_is_refused_naming_the_field_and_never_reaches_the_database(api):
    # Found by the fuzzer: a NUL in the username was sent to PostgreSQL, which refuses it, and the login answered 500.
    response = requests.post(api.url + LOGIN, json={"username": "office1\x00", "password": PASSWORD}, timeout=30)
    assert response.status_code == 422 and "username" in response.text
    assert authenticate(api.engine, username="office1\x00", password=PASSWORD) is None  # the portal's form path


def test_passwords_are_stored_as_argon2id_hashes(api):
    with api.engine.connect() as conn:
        stored = store.get_user(conn, username="office1").password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_a_state_change_without_the_csrf_token_is_refused(api):
    session = api.login("office1")
    token = session.headers.pop("X-CSRF-Token")
    before = api.counts()
    response = session.post(api.url + "/v1/office/assessments", json={"project_code": project_code()}, timeout=30)
    assert response.status_code == 403 and response.json()["type"] == "/problems/csrf-failed"
    session.headers["X-CSRF-Token"] = "0" * 64
    assert (
        session.post(api.url + "/v1/office/assessments", json={"project_code": project_code()}, timeout=30).status_code
        == 403
    )
    assert api.counts() == before
    session.headers["X-CSRF-Token"] = token
    # With the token it passes the CSRF check (and fails on the unknown project instead).
    assert (
        session.post(api.url + "/v1/office/assessments", json={"project_code": project_code()}, timeout=30).status_code
        == 404
    )


def test_a_form_post_may_carry_the_csrf_token_as_a_field(api):
    session = api.login("office1")
    token = session.headers.pop("X-CSRF-Token")
    response = session.post(api.url + "/v1/auth/logout", data={"csrf_token": token}, timeout=30)
    assert response.status_code == 204


def test_a_tampered_cookie_is_refused(api):
    session = api.login("office1")
    cookie = session.cookies.get("ledger_session")
    session.cookies.set("ledger_session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    response = session.get(api.url + "/v1/auth/session", timeout=30)
    assert response.status_code == 401 and response.json()["rule"] == "valid_session"


def test_logout_ends_the_session_on_every_api_process_and_ending_all_sessions_refuses_every_device(api):
    session = api.login("auditor1")
    assert session.get(api.url + "/v1/auth/session", timeout=30).json()["role"] == "regulator"
    copy = requests.Session()
    copy.cookies.update(session.cookies)
    response = session.post(api.url + "/v1/auth/logout", timeout=30)
    assert response.status_code == 204 and 'ledger_session=""' in response.headers["set-cookie"]
    for url in api.urls:  # the other process looks the session up too
        assert copy.get(url + "/v1/auth/session", timeout=30).status_code == 401
    phone, laptop = api.login("auditor1"), api.login("auditor1")
    with api.engine.connect() as conn:
        user_id = store.get_user(conn, username="auditor1").id
    end_all_sessions(api.engine, user_id)
    for device in (phone, laptop):
        assert device.get(api.url + "/v1/auth/session", timeout=30).status_code == 401
    assert api.login("auditor1").get(api.url + "/v1/auth/session", timeout=30).status_code == 200
