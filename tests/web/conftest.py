"""A small site for the session, throttle and header tests: the whole app on a scratch SQLite database
at the head revision, with an enterprise and an office user, counting its rate limits in the real
Redis under a prefix of its own (so no two tests, or test runs, share a count)."""

import re
import uuid
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from devtools.dev_node import free_port
from ledger.access.users import add_user
from ledger.core.settings import Settings
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from tests.support.samples import make_uscc
from web.app import create_app

REDIS = "redis://127.0.0.1:6379/0"
PASSWORD = "site test password"
WRONG = "not the password at all"


@dataclass
class Site:
    database_url: str
    engine: Engine

    def settings(self, **api) -> Settings:
        """Settings on this site's database, counting in Redis under a fresh prefix unless `api` says otherwise."""
        api = {"throttle_storage_url": REDIS, "throttle_key_prefix": f"test-{uuid.uuid4().hex}", **api}
        return Settings(database={"url": self.database_url}, api=api)

    def client(self, settings: Settings | None = None, **client_options) -> TestClient:
        return TestClient(create_app(settings or self.settings()), follow_redirects=False, **client_options)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    url = f"sqlite:///{tmp_path_factory.mktemp('site') / 'site.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    add_user(engine, username="site-ent", password=PASSWORD, role="enterprise", uscc=make_uscc(901))
    add_user(engine, username="site-office", password=PASSWORD, role="office")
    yield Site(url, engine)
    engine.dispose()


def unreachable_redis() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html).group(1)


def page_login(client: TestClient, username: str, password: str = PASSWORD):
    form = client.get("/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_of(form.text)})


def api_login(client: TestClient, username: str, password: str = PASSWORD):
    return client.post("/v1/auth/login", json={"username": username, "password": password})
