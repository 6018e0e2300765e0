"""web.kit.database_unavailable: a lost database answers 503 with Retry-After, also inside an idempotent
route (whose wrapper builds its answer itself), and the key is free for the client's retry; any other SQL
error stays a 500. Whole-stack: tests/e2e/test_restarts.py stops a real PostgreSQL under the API."""

import json
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError, OperationalError

from api import examples
from ledger.access.registry import add_client
from ledger.access.signing import public_key_pem, sign_request
from ledger.core.settings import Settings
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.domain import errors, payments
from web.app import create_app
from web.kit.database_unavailable import install_database_unavailable_handler
from web.kit.problems import MEDIA_TYPE, install_problem_handlers

LOST = OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly (host db.internal)"))


def test_a_lost_connection_is_503_with_retry_after_and_another_sql_error_stays_500():
    app = FastAPI()
    install_problem_handlers(app)
    install_database_unavailable_handler(app)

    @app.get("/lost")
    def lost():
        raise LOST

    @app.get("/defect")
    def defect():
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/lost")
        assert answer.status_code == 503 and answer.headers["content-type"] == MEDIA_TYPE
        assert int(answer.headers["Retry-After"]) >= 1
        assert answer.json()["type"] == "/problems/database-unavailable"
        assert "db.internal" not in answer.text  # the driver's message stays in the log
        defect = client.get("/defect")
        assert defect.status_code == 500 and defect.json()["type"] == "/problems/internal-error"


@pytest.fixture
def app_with_a_tax_client(tmp_path):
    settings = Settings(database={"url": f"sqlite:///{tmp_path / 'app.db'}"})
    engine = make_engine(settings.database.url)
    upgrade_schema(engine)
    key = Ed25519PrivateKey.generate()
    add_client(engine, name="tax-bureau", role="tax", public_key_text=public_key_pem(key.public_key()))
    engine.dispose()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, key


def post_payment(client: TestClient, key: Ed25519PrivateKey, idempotency_key: str):
    body = json.dumps(examples.PAYMENT).encode()
    signed = sign_request(key, client_id="tax-bureau", method="POST", target="/v1/tax/payments", body=body)
    headers = {**signed.as_dict(), "Content-Type": "application/json", "Idempotency-Key": idempotency_key}
    return client.post("/v1/tax/payments", content=body, headers=headers)


def test_a_lost_database_inside_an_idempotent_route_is_503_and_the_retry_under_the_same_key_runs(
    app_with_a_tax_client, monkeypatch
):
    client, key = app_with_a_tax_client
    idempotency_key = f"pay-{uuid.uuid4().hex}"

    def database_lost(*args, **kwargs):
        raise LOST

    monkeypatch.setattr(payments, "confirm_payment", database_lost)
    answer = post_payment(client, key, idempotency_key)
    assert answer.status_code == 503 and answer.json()["type"] == "/problems/database-unavailable"
    assert "Retry-After" in answer.headers

    def refused(*args, **kwargs):
        raise errors.NotFound("no such levy", field="levy_number", rule="exists")

    monkeypatch.setattr(payments, "confirm_payment", refused)
    retried = post_payment(client, key, idempotency_key)  # not 409 in flight, not the 503 replayed: it runs
    assert retried.status_code == 404 and retried.json()["field"] == "levy_number"


def test_the_problem_type_is_served_and_documented_for_every_route(tmp_path):
    settings = Settings(database={"url": f"sqlite:///{tmp_path / 'app.db'}"})
    upgrade_schema(make_engine(settings.database.url))
    app = create_app(settings)
    with TestClient(app) as client:
        page = client.get("/problems/database-unavailable").json()
    assert page["status"] == 503 and page["type"] == "/problems/database-unavailable"
    payments_post = app.openapi()["paths"]["/v1/tax/payments"]["post"]["responses"]["503"]
    assert "database-unavailable" in payments_post["content"][MEDIA_TYPE]["examples"]
