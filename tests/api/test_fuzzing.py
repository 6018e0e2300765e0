"""Schemathesis against the real app's OpenAPI document, in process (ASGI), on a scratch PostgreSQL
database and a chain of the module's own with the contracts deployed and indexed: every operation
with generated valid and invalid input, each request signed as the system client whose role the route
needs or sent with a logged-in person's session, and every built-in check on (no 5xx, status codes,
content types, headers and bodies as documented, invalid input refused, ...). Then Schemathesis's
stateful mode over the links the document declares (api/openapi_links.py): sequences of calls, each
following a link from the answer before it (a 202's command → its status, a registered endpoint → its
GET, enable and DELETE, ...), every check on each answer, the stateful ones too (a resource just
created is not a 404; one deleted is).

`make test` runs a bounded, derandomized number of examples and sequences; LEDGER_DEEP=1 (`make
test-deep`) many more."""

import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

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
from tests.api.conftest import PASSWORD, POSTGRES_SERVER, USCC_A, project_body, project_code
from tests.conftest import deploy_chain
from tests.support.depth import DEEP
from web.app import create_app

EXAMPLES = 400 if DEEP else 6  # per operation: the stateless test stays within 90 s in `make test`
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # a request's time is the database's, not the code under test's
    derandomize=True,  # the same examples on every `make test`
    suppress_health_check=list(HealthCheck),  # slow data and filtered examples are expected at an API
)
# The stateful run: SEQUENCES sequences of at most STEPS calls each.
SEQUENCES, STEPS = (300, 12) if DEEP else (25, 6)
STATEFUL = settings(FUZZ, max_examples=SEQUENCES, stateful_step_count=STEPS)

# Every built-in check on. A request valid by the JSON Schema may still break a rule the document states in
# words because no keyword can carry it (a USCC's check character, the chain's clock, stored facts): that
# is a 422 naming the field and the rule, so 422 joins the answers valid data may receive.
#
# The stateful run follows the links the document declares, and only those: Schemathesis's own inference
# (from names and shapes) is off, since it guesses links that do not hold (a tax client's command read
# at the office's status route).
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]}
        },
        "phases": {"stateful": {"inference": {"algorithms": []}}},
    }
)

# Who may call which routes: the system client that signs, or the person whose session is sent.
# A command's status is read by the client that sent it (another's is a 404): see CommandReader.
SIGNED_BY = {"/v1/tax/": "tax-bureau", "/v1/approval/": "approval-bureau", "/v1/webhooks": "approval-bureau"}
# Each person logs in on a browser of their own (logging in again on one browser ends the session it
# carried). The auth routes get a session of their own: a logout ends it, and nobody else's.
LOGGED_IN = {"/v1/office/": "office1", "/v1/regulator/": "auditor1", "/v1/me/": "ent-a"}
LOGGED_IN |= {"/v1/auth/(session|logout)": "office1 (another browser)"}


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


class CommandReader(requests.auth.AuthBase):
    """Signs GET /v1/commands/{id} as the client that sent the command (the stateful run notes each
    command's sender from its 202); as tax-bureau a command it has not seen (a 404 either way)."""

    def __init__(self, signers: dict[str, SignedRequest]):
        self.signers, self.senders = signers, {}

    def note(self, client: str, answer: object) -> None:
        """Every command_id in a 202's body, as sent by `client`."""
        if isinstance(answer, dict):
            if isinstance(answer.get("command_id"), str):
                self.senders[answer["command_id"]] = client
            answer = list(answer.values())
        if isinstance(answer, list):
            for item in answer:
                self.note(client, item)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        command_id = (request.path_url or "").split("?")[0].rsplit("/", 1)[-1]
        return self.signers[self.senders.get(command_id, "tax-bureau")](request)


@dataclass
class Person:
    cookies: dict[str, str]
    csrf_token: str


# The body fields a sequence's first call takes from the world's registered project.
SEEDED_FIELDS = {"project_code": "project", "builder_uscc": "uscc", "enterprise_uscc": "uscc", "payer_uscc": "uscc"}
REGISTER = "/v1/approval/projects"


@dataclass
class World:
    app: FastAPI
    signers: dict[str, SignedRequest]
    people: dict[str, Person]
    project: str  # a project the approval system registered, built by USCC_A
    uscc: str = USCC_A
    command_reader: CommandReader = field(init=False)

    def __post_init__(self):
        self.command_reader = CommandReader(self.signers)

    def seed_keys(self, case: Case) -> None:
        """Put this world's project code and builder's USCC in the body's (or its items') fields that
        name them, where the generated body has a string there; a registration keeps its own project
        code (it would overwrite the world's project with generated details)."""
        body = case.body if isinstance(case.body, dict) else {}
        seeded = {k: v for k, v in SEEDED_FIELDS.items() if not (k == "project_code" and case.path == REGISTER)}
        for fields in [body, *(item for item in body.get("items", []) if isinstance(item, dict))]:
            for name, key in seeded.items():
                if isinstance(fields.get(name), str):
                    fields[name] = getattr(self, key)


def session_of(person: Person) -> type:
    """A Schemathesis auth provider that sends this person's session cookie and CSRF token."""

    class LoggedIn:
        def get(self, case: Case, context: object) -> Person:
            return person

        def set(self, case: Case, data: Person, context: object) -> None:
            case.cookies = {**(case.cookies or {}), **data.cookies}
            case.headers = {**(case.headers or {}), "X-CSRF-Token": data.csrf_token}

    return LoggedIn


def signed_post(http: TestClient, signer: SignedRequest, path: str, body: dict):
    raw = json.dumps(body).encode()
    signed = sign_request(signer.key, client_id=signer.client_id, method="POST", target=path, body=raw)
    headers = {**signed.as_dict(), "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
    return http.post(path, content=raw, headers=headers)


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
            for person in set(LOGGED_IN.values()):
                with TestClient(app) as browser:  # a browser of their own: a fresh cookie jar
                    username = person.split()[0]
                    response = browser.post("/v1/auth/login", json={"username": username, "password": PASSWORD})
                    assert response.status_code == 200, response.text
                    people[person] = Person(dict(response.cookies), response.json()["csrf_token"])
            signers = {name: SignedRequest(name, key) for name, key in keys.items()}
            project = project_code()
            with TestClient(app) as approval:
                registered = signed_post(approval, signers["approval-bureau"], REGISTER, project_body(project))
                assert registered.status_code == 200, registered.text
            yield World(app=app, signers=signers, people=people, project=project)
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
    loaded.auth.set_from_requests(world.command_reader).apply_to(path_regex="^/v1/commands/")
    for prefix, username in LOGGED_IN.items():
        provider = session_of(world.people[username])
        loaded.auth(refresh_interval=None).apply_to(path_regex=f"^{prefix}")(provider)
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@FUZZ
def test_every_operation_answers_as_documented_to_valid_and_invalid_input(case):
    case.call_and_validate()


# Two runs, one for each kind of caller whose routes link to each other: Schemathesis starts sequences at
# the operations most likely to succeed, and the office's POSTs (no client header) would crowd out the
# system clients' (whose X-Client-Id it takes for a reference to a resource nothing produces).
LINKED_ROUTES = {
    "system clients": r"^/v1/(tax|approval|commands|public|webhooks)",
    "office": r"^/v1/(office|public)",
}


@pytest.mark.parametrize("callers", LINKED_ROUTES)
def test_linked_operations_answer_as_documented_one_after_another(api_schema, world, callers):
    """Sequences over the document's links, each answer checked as above and by the stateful checks. A
    sequence starts with a generated call whose business keys (project code, USCCs), when it is meant
    to be valid, are the world's registered project's, so that links are followed from real answers;
    the run must follow some."""
    followed: Counter[str] = Counter()

    class Linked(api_schema.include(path_regex=LINKED_ROUTES[callers]).as_state_machine()):  # type: ignore[misc]
        def step(self, input):
            case = input.case
            if input.transition is None and case.meta and case.meta.generation.mode.is_positive:
                world.seed_keys(case)
            elif input.transition is not None and input.is_applied:
                followed[input.transition.id] += 1
            return super().step(input)

        def after_call(self, response, case):
            super().after_call(response, case)
            client = next((c for prefix, c in SIGNED_BY.items() if re.match(prefix, case.path)), None)
            if response.status_code == 202 and client:
                world.command_reader.note(client, response.json())

    Linked.run(settings=STATEFUL)
    assert followed, "no link was followed"
