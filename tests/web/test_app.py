"""web.app.create_app: the one composition root, assembling the JSON API and the pages."""

from fastapi.testclient import TestClient

from web.kit.deps import get_settings
from ledger.core.settings import Settings
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from web.app import create_app


def test_the_app_serves_both_the_json_api_and_the_pages():
    app = create_app()
    paths = {route.path for route in app.routes}
    assert {"/v1/tax/payments", "/v1/approval/projects", "/v1/public/projects/{project_code}", "/health"} <= paths
    assert {"/", "/login", "/workspace", "/regulator", "/office", "/static"} <= paths
    documented = set(app.openapi()["paths"])
    assert "/v1/tax/payments" in documented and "/login" not in documented  # the pages stay out of the API's document


def test_the_settings_given_are_the_ones_every_request_sees(tmp_path):
    settings = Settings(database={"url": f"sqlite:///{tmp_path / 'given.db'}"})
    app = create_app(settings)
    assert app.dependency_overrides[get_settings]() is settings


def test_an_unknown_route_is_a_problem_and_the_static_files_are_served(tmp_path):
    settings = Settings(database={"url": f"sqlite:///{tmp_path / 'app.db'}"})
    upgrade_schema(make_engine(settings.database.url))  # the app starts only on a database at the head revision
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/no-such-route").headers["content-type"] == "application/problem+json"
        assert client.get("/static/portal.css").status_code == 200
