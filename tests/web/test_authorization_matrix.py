"""The authorisation matrix (OWASP API1, API5): every route of the app's route table × every kind of
caller (anonymous, each system client role, each user role) × — where the path names an object with an
owner — the caller's own object and another's. Each cell is a real request to the whole app on a
scratch PostgreSQL database, signed as the client or sent with the person's session, and its answer is
compared with the route's rule in web/access_rules.py:

* allowed: neither 401, 403 nor the portal's redirect to /login (and no 500);
* refused: 401 when the caller lacks the route's kind of credential (a signature, a session), 403 when
  it has it with the wrong role; a page sends the anonymous (and a system client) to /login, and a
  person of the wrong role gets the 403 page;
* the caller's own object: 2xx; another's: 404, as an object that does not exist; office staff and the
  regulator, where a route with an owner allows them, any owner's object: 2xx;
* a refused write changes no row of any table.

A route without a rule fails `test_every_route_of_the_app_has_an_access_rule` by name. Here too, as it
needs the same world (OWASP API4): every list route declares its page size, and a larger page is 422
naming `limit`; the body-size and rate limits are checked against the same table in test_api_limits.py."""

import json
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import get_origin

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

from devtools.dev_node import free_port
from devtools.scratch_db import scratch_database
from ledger.access.registry import add_client
from ledger.access.signing import public_key_pem, sign_request
from ledger.access.users import add_user
from ledger.core.settings import Settings
from ledger.db import access_model
from ledger.db.engine import make_engine
from ledger.db.evidence_model import EvidenceSubmission
from ledger.db.schema import upgrade_schema
from ledger.domain.documents import DocumentStore
from ledger.webhooks import delivery as webhooks
from ledger.webhooks.schemas import WebhookEndpointCreate
from tests.api.conftest import PASSWORD, POSTGRES_SERVER, USCC_A, USCC_B, project_body, project_code
from tests.support.documents import pdf
from tests.support.rates import mirror_sample_rate_table
from tests.support.route_table import PARAMETER, ROUTE_TABLE, is_page, routes
from web.access_rules import CALLERS, CLIENT_ROLES, RULES, USER_ROLES, Rule
from web.app import create_app

OWN, ANOTHERS, NO_OBJECT = "own", "another", "-"  # whose object the path names (ids stay shell-safe)
ANY_OWNER = "any-owner"  # an object of an enterprise, read by office staff or the regulator
OWNING_ROLES = frozenset({*CLIENT_ROLES, "enterprise"})  # the callers that own objects
# The account each kind of caller acts as, and the second of its kind: the owner of "another's" object.
CALLER_ACCOUNT = {"tax": "tax-bureau", "approval": "approval-bureau", "office": "office1"}
CALLER_ACCOUNT |= {"regulator": "auditor1", "enterprise": "ent-a"}
OTHER_ACCOUNT = {"tax": "tax-other", "approval": "approval-other", "enterprise": "ent-b"}
ENDS_SESSION = {("POST", "/v1/auth/logout"), ("POST", "/logout")}  # sent with a session of their own


def cells() -> Iterator[tuple[str, str, str, str]]:
    for method, path in routes():
        rule = RULES.get((method, path))
        if rule is None:
            continue  # test_every_route_of_the_app_has_an_access_rule names it
        for caller in CALLERS:
            if rule.owner and caller in rule.callers:
                objects = (OWN, ANOTHERS) if caller in OWNING_ROLES else (ANY_OWNER,)
            else:
                objects = (NO_OBJECT,)
            for whose in objects:
                yield method, path, caller, whose


def test_every_route_of_the_app_has_an_access_rule():
    missing = [f"{method} {path}" for method, path in routes() if (method, path) not in RULES]
    assert missing == [], f"add a line to web/access_rules.py RULES for each of: {missing}"


def test_every_access_rule_names_a_route_of_the_app():
    stale = sorted(set(RULES) - set(routes()))
    assert stale == [], f"web/access_rules.py has rules for routes the app no longer has: {stale}"


def test_the_matrix_s_callers_are_every_client_and_user_role_the_registry_knows():
    assert (CLIENT_ROLES, USER_ROLES) == (access_model.CLIENT_ROLES, access_model.USER_ROLES)


def test_an_owned_object_is_named_in_the_path_of_its_routes():
    for (method, path), rule in RULES.items():
        if rule.owner:
            # `{name}` or a converter's `{name:path}` (a commitment number may hold '/')
            assert re.search("{" + rule.owner + "(:[a-z]+)?}", path), (method, path, rule.owner)
            assert rule.callers & OWNING_ROLES, "only clients and enterprises own objects"


def test_every_route_an_enterprise_calls_on_an_object_in_its_path_declares_whose_object_it_is():
    """Outside the public routes (anyone's to read), a path naming an object names one of an enterprise's
    own: the rule declares it, so the matrix sends each enterprise its own object and another's."""
    undeclared = [
        f"{method} {path}"
        for (method, path), rule in RULES.items()
        if "enterprise" in rule.callers and "anonymous" not in rule.callers and PARAMETER.search(path)
        if not rule.owner
    ]
    assert undeclared == [], f"declare owner= in web/access_rules.py for: {undeclared}"


# --- the world: one scratch database, two accounts of each kind, their objects ----------------------


@dataclass
class World:
    app: FastAPI
    engine: Engine
    keys: dict[str, Ed25519PrivateKey]
    browsers: dict[str, TestClient]  # a person's username -> a client holding their session
    anonymous: TestClient
    samples: dict[str, str]  # a path parameter -> a value naming an object that exists
    owned: dict[str, dict[str, str]] = field(default_factory=dict)  # parameter -> account -> its object
    exits: ExitStack = field(default_factory=ExitStack)

    def signed(self, account: str, method: str, target: str, body: bytes, **headers: str) -> Response:
        signature = sign_request(self.keys[account], client_id=account, method=method, target=target, body=body)
        headers |= signature.as_dict() | {"Content-Type": "application/json"}
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        return self.anonymous.request(method, target, content=body, headers=headers)

    def post_signed(self, account: str, path: str, payload: dict) -> dict:
        response = self.signed(account, "POST", path, json.dumps(payload).encode())
        assert response.status_code in (200, 201, 202), response.text
        return response.json()

    def browser(self, username: str) -> TestClient:
        browser = self.exits.enter_context(TestClient(self.app, follow_redirects=False))
        response = browser.post("/v1/auth/login", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        browser.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return browser

    def rows(self) -> dict[str, int]:
        """Rows in every table (one query): what a refused request must leave as it found it."""
        counts = " UNION ALL ".join(
            f"SELECT '{t.name}', count(*) FROM \"{t.name}\"" for t in SQLModel.metadata.sorted_tables
        )
        with self.engine.connect() as conn:
            return dict(conn.execute(text(counts)).tuples().all())

    def endpoint_of(self, account: str) -> str:
        """A fresh webhook endpoint of this client (a DELETE cell removes the one it is given)."""
        registration = WebhookEndpointCreate(
            subscriber=account, url="https://example.gov.cn/notices", events=["clearance.changed"], projects="all"
        )
        with Session(self.engine) as session, session.begin():
            return str(webhooks.add_endpoint(session, endpoint=registration))


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    url, drop = scratch_database(POSTGRES_SERVER, prefix="ledger_authz_test")
    engine = make_engine(url)
    try:
        upgrade_schema(engine)
        mirror_sample_rate_table(engine)
        keys = {name: Ed25519PrivateKey.generate() for name in ("tax-bureau", "tax-other")}
        keys |= {name: Ed25519PrivateKey.generate() for name in ("approval-bureau", "approval-other")}
        for name, key in keys.items():
            add_client(engine, name=name, role=name.split("-")[0], public_key_text=public_key_pem(key.public_key()))
        add_user(engine, username="office1", password=PASSWORD, role="office")
        add_user(engine, username="auditor1", password=PASSWORD, role="regulator")
        add_user(engine, username="ent-a", password=PASSWORD, role="enterprise", uscc=USCC_A)
        add_user(engine, username="ent-b", password=PASSWORD, role="enterprise", uscc=USCC_B)
        settings = Settings(
            database={"url": url},
            rpc={"url": f"http://127.0.0.1:{free_port()}"},  # no node: reads are served from SQL
            deployment={"manifest_path": tmp_path_factory.mktemp("authz") / "deployment.json"},
            api={"public_burst": 1_000_000},  # the rate limits have their own test (test_api_limits.py)
            documents={"directory": tmp_path_factory.mktemp("documents")},
        )
        app = create_app(settings)
        with ExitStack() as exits:
            anonymous = exits.enter_context(TestClient(app, follow_redirects=False))
            world = World(app, engine, keys, {}, anonymous, {}, exits=exits)
            world.browsers = {name: world.browser(name) for name in ("office1", "auditor1", "ent-a", "ent-b")}
            _make_objects(world, DocumentStore.of(settings))
            yield world
    finally:
        engine.dispose()
        drop()


def _make_objects(world: World, store: DocumentStore) -> None:
    """Each enterprise's project, each client's command, through the routes as the systems would."""
    projects = {"ent-a": project_code(), "ent-b": project_code("410102")}
    for code, uscc in zip(projects.values(), (USCC_A, USCC_B)):
        world.post_signed("approval-bureau", "/v1/approval/projects", project_body(code, uscc))
        assessed = world.browsers["office1"].post("/v1/office/assessments", json={"project_code": code})
        assert assessed.status_code == 202, assessed.text
    levies = world.signed("tax-bureau", "GET", "/v1/tax/levies?limit=500", b"").json()["items"]
    commands = {}
    for account, code in zip(("tax-bureau", "tax-other"), projects.values()):
        levy = next(levy for levy in levies if levy["project_code"] == code)
        payment = {
            "levy_number": levy["levy_number"],
            "voucher_number": f"33{uuid.uuid4().int % 10**16:016d}",
            "amount_fen": levy["amount_fen"],
            "paid_at": levy["created_at"],
            "payer_uscc": levy["payer_uscc"],
        }
        commands[account] = world.post_signed(account, "/v1/tax/payments", payment)["command_id"]
    for account, (enterprise, code) in zip(("approval-bureau", "approval-other"), projects.items()):
        commitment = {
            "commitment_number": f"CN-{code}",
            "project_code": code,
            "enterprise_uscc": USCC_A if enterprise == "ent-a" else USCC_B,
            "kind": "shelter_build",
            "due_date": "2030-12-31",
            "terms_sha256": "ab" * 32,
        }
        commands[account] = world.post_signed(account, "/v1/approval/commitments", commitment)[0]["command_id"]
    commitments = {enterprise: f"CN-{code}" for enterprise, code in projects.items()}
    submissions, digests = _evidence_of(world, store, commitments)
    world.owned = {"project_code": projects, "command_id": commands, "commitment_number": commitments}
    world.owned |= {"submission_id": submissions, "digest": digests}
    world.samples = {
        "project_code": projects["ent-a"],
        "command_id": commands["approval-bureau"],
        "commitment_number": f"CN-{projects['ent-a']}",
        "enterprise": USCC_A,
        "day": "2026-11-29",
        "voucher_number": "332026999999999999",
        "slug": "validation-failed",
        "number": "T-UNKNOWN",
        "announcement_id": "unknown",
        "approval_id": "cmd_unknown",
        "submission_id": "0" * 32,
        "application_id": "0" * 32,
        "digest": "ab" * 32,
        "draw": "0x" + "ab" * 32,
        "event_id": "31337-999999-0-breached",
        "draw_number": "DRAW-UNKNOWN",
    }


def _evidence_of(
    world: World, store: DocumentStore, commitments: dict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Each enterprise's evidence file for its commitment, kept in the document store, and its submission
    as ledger.domain.evidence stores it (the commitment is not on chain here: no node to submit it to)."""
    submissions, digests = {}, {}
    for seed, (enterprise, number) in enumerate(commitments.items(), start=1):
        document = store.put(pdf(seed))
        submission_id = uuid.uuid4().hex
        submission = EvidenceSubmission(
            id=submission_id,
            commitment_number=number,
            enterprise_uscc=USCC_A if enterprise == "ent-a" else USCC_B,
            digest=document.digest,
            digest_algorithm=document.algorithm,
            media_type=document.media_type,
            size=document.size,
            file_name="evidence.pdf",
            submitted_by=enterprise,
            submitted_at=time.time(),
            command_id=f"cmd_evidence_{enterprise}",
        )
        with Session(world.engine) as session, session.begin():
            session.add(submission)
        submissions[enterprise], digests[enterprise] = submission_id, document.digest
    return submissions, digests


# --- one cell -------------------------------------------------------------------------------------


def object_of(world: World, rule: Rule, param: str, caller: str, whose: str) -> str:
    """The path's value for `param`: the owned object (and every other owned object the path names, e.g. the
    commitment of a submission) is one account's, the caller's own or another's."""
    if rule.owner and (param == rule.owner or param in world.owned):
        owning = rule.callers & OWNING_ROLES
        owner_role = caller if caller in owning else sorted(owning)[0]
        account = (CALLER_ACCOUNT if whose != ANOTHERS else OTHER_ACCOUNT)[owner_role]
        if param == "endpoint_id":
            return world.endpoint_of(account)
        if param == rule.owner or account in world.owned[param]:
            return world.owned[param][account]
    if param == "endpoint_id":
        return world.endpoint_of("approval-bureau")
    assert param in world.samples, f"add a sample value for the path parameter {param!r} to _make_objects"
    return world.samples[param]


def target_of(world: World, path: str, rule: Rule, caller: str, whose: str) -> str:
    return PARAMETER.sub(lambda m: object_of(world, rule, m.group(1), caller, whose), path)


def send(world: World, method: str, path: str, target: str, caller: str) -> Response:
    body = b"{}" if method != "GET" else b""
    if caller in USER_ROLES:
        fresh = (method, path) in ENDS_SESSION
        http = world.browser(CALLER_ACCOUNT[caller]) if fresh else world.browsers[CALLER_ACCOUNT[caller]]
    else:
        http = world.anonymous
    if (method, path) == ("POST", "/login"):  # the login form's own CSRF token (bound to a nonce cookie)
        token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', http.get("/login").text).group(1)
        return http.post(target, data={"csrf_token": token})
    if caller in CLIENT_ROLES:
        return world.signed(CALLER_ACCOUNT[caller], method, target, body)
    return http.request(method, target, content=body, headers={"Content-Type": "application/json"})


def refusal(path: str, rule: Rule, caller: str) -> int:
    """The status a refused caller gets: 401 without the route's kind of credential, 403 with the wrong
    role; on a page, 303 (to /login) unless a person is logged in."""
    if is_page(path):
        return 403 if caller in USER_ROLES else 303
    people_route = rule.callers <= set(USER_ROLES)
    has_kind = caller in (USER_ROLES if people_route else CLIENT_ROLES)
    return 403 if has_kind else 401


@pytest.mark.parametrize(
    ("method", "path", "caller", "whose"),
    list(cells()),
    ids=[f"{m} {p} | {c} | {w}" for m, p, c, w in cells()],
)
def test_each_caller_gets_what_the_route_s_rule_allows_on_its_own_and_another_s_object(
    world, method, path, caller, whose
):
    rule = RULES[(method, path)]
    target = target_of(world, path, rule, caller, whose)
    before = world.rows() if method != "GET" and caller not in rule.callers else None
    response = send(world, method, path, target, caller)
    status, said = response.status_code, f"{method} {target} as {caller}: {response.status_code} {response.text[:300]}"
    to_login = status == 303 and response.headers["location"].startswith("/login?next=")
    if caller not in rule.callers:
        assert status == refusal(path, rule, caller), said
        assert to_login or response.headers["content-type"].startswith(
            "text/html" if is_page(path) else "application/problem+json"
        ), said
        assert before is None or world.rows() == before, f"{said}: a refused request wrote"
    elif whose == ANOTHERS:
        assert status == 404, said
    elif whose in (OWN, ANY_OWNER) and method == "GET":
        assert 200 <= status < 300, said
    elif whose == OWN:  # an empty body may be refused (400, 422), but never as another's object
        assert status not in (401, 403, 404, 500) and not to_login, said
    else:
        assert status not in (401, 403) and not to_login and status != 500, said


# --- API4: the size of a page -----------------------------------------------------------------------


def answers_a_list(route: APIRoute) -> bool:
    """A read answering a JSON list, or a page of one (`items`, `next_cursor`), or taking a `limit`."""
    fields = getattr(route.response_model, "model_fields", {})
    listed = get_origin(route.response_model) is list or "items" in fields or "next_cursor" in fields
    return "GET" in route.methods and (listed or "limit" in {p.name for p in route.dependant.query_params})


def test_every_list_route_declares_its_page_limit_or_why_it_needs_none():
    undeclared = [
        f"GET {route.path}"
        for route in ROUTE_TABLE
        if isinstance(route, APIRoute)
        and answers_a_list(route)
        and RULES.get(("GET", route.path), Rule(frozenset())).page is None
    ]
    assert undeclared == [], (
        f"declare page= (the largest limit, or Unlimited(why)) in web/access_rules.py: {undeclared}"
    )


PAGED = sorted((path, rule) for (method, path), rule in RULES.items() if isinstance(rule.page, int))


@pytest.mark.parametrize(("path", "rule"), PAGED, ids=[path for path, _ in PAGED])
def test_a_page_larger_than_the_route_s_limit_is_refused_naming_limit(world, path, rule):
    caller = sorted(rule.callers)[0]
    target = target_of(world, path, rule, caller, NO_OBJECT)
    too_many = send(world, "GET", path, f"{target}?limit={rule.page + 1}", caller)
    assert too_many.status_code == 422, too_many.text
    assert too_many.json()["field"] == "limit", too_many.text
    most = send(world, "GET", path, f"{target}?limit={rule.page}", caller)
    assert most.status_code != 422 and most.status_code not in (401, 403), most.text
