"""Security headers on every answer (pages, API, static files, 404 and 500), FastAPI's docs under a
policy of their own, and `Cache-Control: no-store` on private answers only."""

import pytest

from tests.web.conftest import api_login, page_login

SITE_POLICY_PARTS = ("default-src 'self'", "frame-ancestors 'none'", "style-src 'self' 'unsafe-inline'")


def assert_secured(response, *, docs: bool = False) -> None:
    headers = response.headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    policy = headers["Content-Security-Policy"]
    assert all(part in policy for part in SITE_POLICY_PARTS)
    assert ("cdn.jsdelivr.net" in policy) is docs
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";")[0] or docs


@pytest.fixture(scope="module")
def client(site):
    app_client = site.client(raise_server_exceptions=False)
    app = app_client.app

    @app.get("/test-boom")
    def boom():
        raise RuntimeError("a bug")

    with app_client:
        yield app_client


@pytest.mark.parametrize(
    ("path", "status"),
    [("/", 200), ("/estimate", 200), ("/static/portal.css", 200), ("/problems", 200), ("/no-such-page", 404)],
)
def test_every_answer_carries_the_security_headers(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert_secured(response)
    assert "no-store" not in response.headers.get("Cache-Control", "")  # public: not private


def test_a_500_carries_them_too(client):
    response = client.get("/test-boom")
    assert response.status_code == 500 and response.headers["content-type"] == "application/problem+json"
    assert_secured(response)


def test_the_docs_get_their_own_policy_that_lets_swagger_ui_load(client):
    for path in ("/docs", "/docs/oauth2-redirect", "/redoc"):
        response = client.get(path)
        assert response.status_code == 200
        assert_secured(response, docs=True)


def test_the_site_policy_allows_no_inline_script(client):
    script_src = client.get("/").headers["Content-Security-Policy"].split("script-src", 1)[1].split(";")[0]
    assert script_src.strip() == "'self'"


def test_private_pages_and_api_answers_are_not_stored(site):
    with site.client() as person:
        assert page_login(person, "site-ent").status_code == 303
        assert person.get("/login").headers["Cache-Control"] == "no-store"  # it carries a CSRF token
        for path in ("/workspace", "/v1/auth/session", "/office"):  # /office: the 403 page is private too
            response = person.get(path)
            assert response.headers["Cache-Control"] == "no-store", path
            assert_secured(response)
        assert person.get("/").headers.get("Cache-Control") is None
        assert api_login(person, "site-office").headers["Cache-Control"] == "no-store"
