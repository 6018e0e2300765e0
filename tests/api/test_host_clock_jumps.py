"""The API host's wall clock jumping while PostgreSQL's does not: Idempotency-Keys are kept and nonces
forgotten by the database's clock (ledger.access.store.database_epoch), so a jump past the retention
cannot free a key early, and a jump forward past three signature windows and back cannot let a
forgotten nonce pass again. The app runs in this process on a scratch PostgreSQL database, with
`time.time` moved as a host's clock would jump (the whole stack under a jumping clock:
tests/e2e/test_server_clock_jumps.py)."""

import time
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api import idempotency
from api.security import signatures
from devtools.scratch_db import scratch_database
from devtools.sdk import encode_body
from ledger.access.registry import add_client
from ledger.access.signing import public_key_pem, sign_request
from ledger.core.settings import Settings
from ledger.db.access_model import ApiNonce
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from tests.api.conftest import POSTGRES_SERVER, project_body, project_code
from web.app import create_app

PATH = "/v1/approval/projects"
HOUR = 3600


@pytest.fixture(scope="module")
def world():
    url, drop = scratch_database(POSTGRES_SERVER, prefix="ledger_host_clock")
    engine = make_engine(url)
    upgrade_schema(engine)
    key = Ed25519PrivateKey.generate()
    add_client(engine, name="approval-bureau", role="approval", public_key_text=public_key_pem(key.public_key()))
    try:
        with TestClient(create_app(Settings(database={"url": url})), raise_server_exceptions=False) as client:
            yield client, key, engine
    finally:
        engine.dispose()
        drop()


class HostClock:
    """This process's wall clock (time.time), moved by `offset` seconds; the database's is left alone."""

    def __init__(self, monkeypatch):
        self.real, self.offset = time.time, 0
        monkeypatch.setattr(time, "time", lambda: self.real() + self.offset)


def signed(key, body: bytes, *, timestamp: int, idempotency_key: str) -> dict:
    headers = sign_request(
        key, client_id="approval-bureau", method="POST", target=PATH, body=body, timestamp=timestamp
    ).as_dict()
    return {**headers, "Content-Type": "application/json", "Idempotency-Key": idempotency_key}


def test_a_host_clock_jumping_past_the_retention_does_not_free_an_idempotency_key(world, monkeypatch):
    client, key, engine = world
    clock = HostClock(monkeypatch)
    body, idempotency_key = encode_body(project_body(project_code())), f"jump-{uuid.uuid4().hex}"
    first = client.post(
        PATH, content=body, headers=signed(key, body, timestamp=int(clock.real()), idempotency_key=idempotency_key)
    )
    assert first.status_code == 200, first.text

    clock.offset = 25 * HOUR  # past the 24 h retention, on this host only
    with engine.begin() as conn:  # the claim the API makes for the same request now
        claimed = idempotency.claim(
            conn,
            key=idempotency_key,
            method="POST",
            target=PATH,
            body=body,
            client_id="approval-bureau",
            settings=Settings().api,
        )
    assert claimed.outcome == "replay"  # not "claimed": the key is not free
    # The client retries, signing by the true time (the database's: the window is judged by it too).
    again = client.post(
        PATH, content=body, headers=signed(key, body, timestamp=int(clock.real()), idempotency_key=idempotency_key)
    )
    assert again.status_code == 200, again.text
    assert again.headers.get("Idempotent-Replayed") == "true" and again.content == first.content


def test_a_host_clock_jumping_forward_and_back_cannot_let_a_forgotten_nonce_pass_again(world, monkeypatch):
    client, key, engine = world
    clock = HostClock(monkeypatch)
    monkeypatch.setattr(signatures.secrets, "randbelow", lambda n: 0)  # forget old nonces on every request
    body = encode_body(project_body(project_code()))
    first_headers = signed(key, body, timestamp=int(clock.real()), idempotency_key=f"first-{uuid.uuid4().hex}")
    assert client.post(PATH, content=body, headers=first_headers).status_code == 200

    clock.offset = 1 * HOUR  # past three signature windows (900 s), on this host only
    ahead = encode_body(project_body(project_code()))
    by_host = client.post(
        PATH, content=ahead, headers=signed(key, ahead, timestamp=int(time.time()), idempotency_key=uuid.uuid4().hex)
    )
    by_database = client.post(
        PATH, content=ahead, headers=signed(key, ahead, timestamp=int(clock.real()), idempotency_key=uuid.uuid4().hex)
    )

    clock.offset = 0  # back: the first request's timestamp is within the window again
    replay = client.post(PATH, content=body, headers=first_headers)
    assert replay.status_code == 401, replay.text
    assert (replay.json()["field"], replay.json()["rule"]) == ("X-Nonce", "unused")
    # The window is the database's clock too: a timestamp by the jumped host's is an hour off.
    assert by_host.status_code == 401 and by_host.json()["rule"] == "within_window", by_host.text
    assert by_database.status_code == 200, by_database.text  # it ran the forgetting, by the database's clock
    with engine.connect() as conn:
        nonce = first_headers["X-Nonce"]
        assert conn.execute(select(func.count()).where(ApiNonce.nonce == nonce)).scalar_one() == 1
