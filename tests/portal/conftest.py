"""The portal tests' shared fixtures on the public world: the app with a user of each role, one
logged-in TestClient per user, and (for the browser tests) the app served by uvicorn and Debian's
chromium driven by Playwright."""

import json
import os
import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import sync_playwright

from devtools import REPO_ROOT
from ledger.access.users import add_user
from ledger.core.settings import get_settings
from tests.api.conftest import ApiProcess
from tests.support.samples import make_uscc
from web.app import create_app

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}  # the phone every browser test measures against
AXE_PACKAGE = REPO_ROOT / "hardhat-local" / "node_modules" / "axe-core"
PASSWORD = "portal pages password"
USERS = {
    "portal-ent": ("enterprise", make_uscc(801)),
    "portal-other": ("enterprise", make_uscc(802)),
    "portal-reg": ("regulator", None),
    "portal-office": ("office", None),
}


@pytest.fixture(scope="session")
def portal_users(public_world):
    """A user of each role (USERS, password PASSWORD), added once per session."""
    for username, (role, uscc) in USERS.items():
        add_user(public_world.engine, username=username, password=PASSWORD, role=role, uscc=uscc)
    return USERS


@pytest.fixture(scope="module")
def app(public_world, portal_users):
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: public_world.settings(
        api={"public_burst": 1000}, portal={"tax_checkout_url": "http://127.0.0.1:8100/checkout/{levy}"}
    )
    return app


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html).group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD, next_path: str = ""):
    form = client.get("/login")
    return client.post(
        "/login", data={"username": username, "password": password, "next": next_path, "csrf_token": csrf_of(form.text)}
    )


@pytest.fixture(scope="module")
def people(app):
    """One logged-in client per user."""
    clients = {}
    for username in USERS:
        client = TestClient(app, follow_redirects=False)
        assert log_in(client, username).status_code == 303
        clients[username] = client
    yield clients
    for client in clients.values():
        client.close()


@pytest.fixture(scope="session")
def portal_url(public_world, portal_users, tmp_path_factory):
    """The app served by uvicorn on the public world (public rate limit raised: a walk reads many pages)."""
    env = {**os.environ, **public_world.env(), "LEDGER_API_PUBLIC_BURST": "1000"}
    server = ApiProcess(env, tmp_path_factory.mktemp("portal") / "api.log")
    try:
        server.wait_ready()
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def chromium():
    """Debian's chromium, headless (a missing browser fails the test, it never skips)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core as hardhat-local/package.json pins it (a devDependency: the portal never serves it), added
    to each page as an init script through the browser's debugging protocol, so the portal's CSP, which
    allows no inline script, stays as it is. Another installed version fails the test."""
    pinned = json.loads((REPO_ROOT / "hardhat-local" / "package.json").read_text())["devDependencies"]["axe-core"]
    installed = json.loads((AXE_PACKAGE / "package.json").read_text())["version"]
    assert installed == pinned, f"axe-core {installed} is installed but package.json pins {pinned}: run npm ci"
    return (AXE_PACKAGE / "axe.min.js").read_text()
