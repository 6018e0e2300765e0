"""System clients' authentication is a plain dependency: an app may replace it
(`app.dependency_overrides`), and the POSTs it admits stay idempotent."""

import pytest
from fastapi.testclient import TestClient

from api.security.signatures import SystemClient
from api.security.system_clients import approval_client
from devtools.sim.world import World
from ledger.core.settings import Settings
from tests.support.databases import make_database  # noqa: F401
from web.app import create_app


@pytest.fixture
def unsigned(make_database):  # noqa: F811
    """The app on a fresh SQLite database, its approval client's authentication replaced."""
    app = create_app(Settings(database_url=make_database("sqlite")))
    approval = SystemClient(id="approval-bureau", role="approval", key_id="test")
    app.dependency_overrides[approval_client] = lambda: approval
    with TestClient(app) as client:
        yield client


def test_an_override_of_the_client_authentication_admits_requests_without_a_signature(unsigned):
    project = World(seed=7).new_project()
    registered = unsigned.post("/v1/approval/projects", json=project.registration(), headers={"Idempotency-Key": "one"})
    assert registered.status_code == 200, registered.text
    assert unsigned.get(f"/v1/approval/projects/{project.code}").json()["project_code"] == project.code


def test_a_post_admitted_by_an_override_is_still_answered_once_per_idempotency_key(unsigned):
    body = World(seed=8).new_project().registration()
    first = unsigned.post("/v1/approval/projects", json=body, headers={"Idempotency-Key": "same"})
    again = unsigned.post("/v1/approval/projects", json=body, headers={"Idempotency-Key": "same"})
    assert again.headers["Idempotent-Replayed"] == "true" and again.content == first.content
    assert unsigned.post("/v1/approval/projects", json=body).json()["field"] == "Idempotency-Key"


def test_the_clients_of_another_role_are_still_refused_their_signature(unsigned):
    answer = unsigned.get("/v1/tax/levies")
    assert answer.status_code == 401 and answer.json()["field"] == "X-Client-Id"
