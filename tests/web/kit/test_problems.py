"""web.kit.problems: Starlette's HTTP errors as problems, with the headers HTTP asks of them."""

import pytest
from fastapi.testclient import TestClient

from ledger.core.settings import Settings
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from web.app import create_app


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    settings = Settings(database={"url": f"sqlite:///{tmp_path_factory.mktemp('problems') / 'app.db'}"})
    upgrade_schema(make_engine(settings.database.url))
    with TestClient(create_app(settings)) as client:
        yield client


def test_a_wrong_method_names_every_method_served_at_the_path_not_only_the_first_routes(http):
    response = http.request("OPTIONS", "/v1/webhooks/7")  # GET and DELETE are two routes at this path
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/method-not-allowed"
    assert response.headers["allow"] == "DELETE, GET"


def test_a_wrong_method_on_a_one_method_path_names_that_method(http):
    response = http.put("/v1/auth/login", json={})
    assert response.status_code == 405 and response.headers["allow"] == "POST"
