"""Schemathesis against the real app's OpenAPI document, in process (ASGI), on a scratch PostgreSQL
database and a chain of the module's own with the contracts deployed and indexed: every operation
with generated valid and invalid input, each request signed as the system client whose role the route
needs or sent with a logged-in person's session, and every built-in check on (no 5xx, status codes,
content types, headers and bodies as documented, invalid input refused, ...). (A stateful run over
the document's links is not here yet: the document declares no links.)

`make test` runs a bounded, derandomized number of examples; LEDGER_DEEP=1 (`make test-deep`) many more."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
import schemathesis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.case import Case

from devtools.dev_node import LocalNode
from devtools.scratch_db import scratch_database
from ledger.access.registry import add_client
from ledger.access.signing import public_key_pem, sign_request
from ledger.access.users import add_user
from ledger.chain.rpc import JsonRpc
from ledger.core.settings import Settings
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.indexer.loop import Indexer, IndexerConfig
from tests.api.conftest import PASSWORD, POSTGRES_SERVER, USCC_A
from tests.conftest import deploy_chain
from tests.support.depth import DEEP
from web.app import create_app

EXAMPLES = 400 if DEEP else 6  # per operation: the whole module stays within 90 s in `make test`
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # a request's time is the database's, not the code under test's
    derandomize=True,  # the same examples on every `make test`
    suppress_health_check=list(HealthCheck),  # slow data and filtered examples are expected at an API
)

# Every built-in check on. A request valid by the JSON Schema may still break a rule the document states in
# words because no keyword can carry it (a USCC's check character, the chain's clock, stored facts): that
# is a 422 naming the field and the rule, so 422 joins the answers valid data may receive.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]}
        }
    }
)

# Who may call which routes: the system client that signs, or the person whose session is sent.
SIGNED_BY = {"/v1/tax/": "tax-bureau", "/v1/approval/": "approval-bureau", "/v1/commands/": "tax-bureau"}
SIGNED_BY |= {"/v1/webhooks": "approval-bureau"}
LOGGED_IN = {"/v1/office/": "office1", "/v1/regulator/": "auditor1", "/v1/me/": "ent-a"}
LOGGED_IN |= {"/v1/auth/(session|logout)": "office1"}


class SignedRequest(requests.auth.AuthBase):
    """Signs the request exactly as sent (method, PATH?QUERY, body bytes) with a fresh nonce and
    timestamp, and gives every POST a fresh Idempotency-Key (docs/integrators/signing.md)."""

    def __init__(self, client_id: str, key: Ed25519PrivateKey):
        self.client_id, self.key = client_id, key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        method = request.method or "GET"
        signed = sign_request(self.key, client_id=self.client_id, method=method, target=request.path_url, body=body)
        request.headers.update(signed.as_dict())
        if method == "POST":
            request.headers.setdefault("Idempotency-Key", str(uuid.uuid4()))
        return request


@dataclass
class Person:
    cookies: dict[str, str]
    csrf_token: str


@dataclass
class World:
    app: FastAPI
    signers: dict[str, SignedRequest]
    people: dict[str, Person]


def session_of(person: Person) -> type:
    """A Schemathesis auth provider that sends this person's session cookie and CSRF token."""

    class LoggedIn:
        def get(self, case: Case, context: object) -> Person:
            return person

        def set(self, case: Case, data: Person, context: object) -> None:
            case.cookies = {**(case.cookies or {}), **data.cookies}
            case.headers = {**(case.headers or {}), "X-CSRF-Token": data.csrf_token}

    return LoggedIn


def _index(settings: Settings, chain) -> None:
    """Mirror what deployment published (rate tables), as the indexer would: /health answers 200."""
    indexer = Indexer(
        engine=make_engine(settings.database.url),
        rpc=JsonRpc(chain.node.url),
        manifest=chain.manifest,
        config=IndexerConfig(),
        owner="fuzzing-indexer",
    )
    indexer.catch_up()
    indexer.release()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("fuzzing")
    url, drop = scratch_database(POSTGRES_SERVER, prefix="ledger_fuzz_test")
    engine = make_engine(url)
    try:
        upgrade_schema(engine)
        with LocalNode() as node:
            chain = deploy_chain(node)
            chain.manifest.save(folder / "deployment.json")
            settings = Settings(
                database={"url": url},
                rpc={"url": node.url},
                deployment={"manifest_path": folder / "deployment.json"},
                api={"public_burst": 1_000_000},  # the rate limit has its own tests; here it would hide answers
            )
            _index(settings, chain)
            keys = {name: Ed25519PrivateKey.generate() for name in ("tax-bureau", "approval-bureau")}
            for name, role in (("tax-bureau", "tax"), ("approval-bureau", "approval")):
                add_client(engine, name=name, role=role, public_key_text=public_key_pem(keys[name].public_key()))
            add_user(engine, username="office1", password=PASSWORD, role="office")
            add_user(engine, username="auditor1", password=PASSWORD, role="regulator")
            add_user(engine, username="ent-a", password=PASSWORD, role="enterprise", uscc=USCC_A)
            app = create_app(settings)
            people = {}
            with TestClient(app) as http:
                for username in ("office1", "auditor1", "ent-a"):
                    response = http.post("/v1/auth/login", json={"username": username, "password": PASSWORD})
                    assert response.status_code == 200, response.text
                    people[username] = Person(dict(response.cookies), response.json()["csrf_token"])
            signers = {name: SignedRequest(name, key) for name, key in keys.items()}
            yield World(app=app, signers=signers, people=people)
    finally:
        engine.dispose()
        drop()


@pytest.fixture(scope="module")
def api_schema(world):
    """The document as the app serves it, each route with the credentials it needs. Schemathesis applies
    them to every case but those whose credentials it leaves out on purpose (which must get a 401)."""
    loaded = schemathesis.openapi.from_asgi("/openapi.json", world.app, config=CONFIG)
    for prefix, client in SIGNED_BY.items():
        loaded.auth.set_from_requests(world.signers[client]).apply_to(path_regex=f"^{prefix}")
    for prefix, username in LOGGED_IN.items():
        provider = session_of(world.people[username])
        loaded.auth(refresh_interval=None).apply_to(path_regex=f"^{prefix}")(provider)
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@FUZZ
def test_every_operation_answers_as_documented_to_valid_and_invalid_input(case):
    case.call_and_validate()
