"""Database round trips per signed, idempotent payment confirmation: a ceiling, so a change that adds
some shows here (`python -m devtools bench api` measures the rate they cost, DESIGN.md §9). In process, on SQLite
and PostgreSQL, counting what the API's engine sends."""

import uuid
from datetime import UTC, datetime

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from web.kit import deps
from web.app import create_app
from ledger.access.registry import add_client
from ledger.access.signing import public_key_pem, sign_request
from ledger.core.settings import get_settings
from ledger.db.write_model import Levy, OutboxCommand, PaymentConfirmation
from ledger.domain import fees, projects
from ledger.domain.schemas.approval import ProjectCreate
from ledger.domain.schemas.office import FeeAssessmentCreate
from devtools.sim.world import World
from tests.support.databases import database_url, make_database  # noqa: F401
from tests.support.rates import mirror_sample_rate_table

# Admission: pool ping, BEGIN, no wait for the WAL flush (PostgreSQL), client and keys, nonce, key claim,
# COMMIT; route: BEGIN, levies and used vouchers, the chain's account figures (the read model's fee
# accounts and a migration's imports: issue 14, accepted means recorded), confirmation, outbox command,
# stored response, COMMIT. (The bare insert of `python -m devtools bench api` makes 5: ping, BEGIN, two inserts, COMMIT.)
# Was 13 before the account figures were read; folding them into one statement is issue 19's work.
MOST_ROUND_TRIPS = 16


class RoundTrips:
    """What an engine sends: statements, transaction control and pool pings, in order."""

    def __init__(self, engine):
        self.sent: list[str] = []
        for name in ("begin", "commit", "rollback"):  # savepoints arrive as statements
            event.listen(engine, name, lambda *_, name=name: self.sent.append(name.upper()))
        event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_: self.sent.append(statement))
        if engine.pool._pre_ping:  # a ping on every checkout (PostgreSQL)
            event.listen(engine.pool, "checkout", lambda *_: self.sent.append("ping"))


@pytest.fixture
def api_in_process(database_url, monkeypatch):  # noqa: F811
    """The API app in this process on a fresh database, with a tax client and an open levy."""
    monkeypatch.setenv("LEDGER_DATABASE_URL", database_url)
    get_settings.cache_clear()
    engine = deps.get_engine_for()
    mirror_sample_rate_table(engine)
    key = Ed25519PrivateKey.generate()
    add_client(engine, name="tax-bureau", role="tax", public_key_text=public_key_pem(key.public_key()))
    project = World(seed=5).new_project()
    with Session(engine) as session, session.begin():
        projects.register_project(session, project=ProjectCreate(**project.registration()), client="test")
        fees.assess_fee(session, assessment=FeeAssessmentCreate(project_code=project.code), actor="test")
    with engine.connect() as conn:
        levy = conn.execute(select(Levy.levy_number, Levy.payer_uscc, Levy.created_at)).one()._asdict()
    try:
        with TestClient(create_app()) as client:
            yield client, engine, key, levy
    finally:
        engine.dispose()
        get_settings.cache_clear()
        deps._engine.cache_clear()


def confirm(client, key, levy: dict, voucher: str, idempotency_key: str):
    body = orjson.dumps(
        {
            "levy_number": levy["levy_number"],
            "voucher_number": voucher,
            "amount_fen": 1,
            "paid_at": datetime.fromtimestamp(levy["created_at"] + 1, UTC).isoformat(),  # ISO 8601, not unix
            "payer_uscc": levy["payer_uscc"],
        }
    )
    headers = sign_request(key, client_id="tax-bureau", method="POST", target="/v1/tax/payments", body=body).as_dict()
    return client.post(
        "/v1/tax/payments",
        content=body,
        headers={**headers, "Content-Type": "application/json", "Idempotency-Key": idempotency_key},
    )


def test_a_signed_idempotent_confirmation_makes_at_most_16_round_trips(api_in_process):
    client, engine, key, levy = api_in_process
    assert confirm(client, key, levy, "V-WARM", "warm-up").status_code == 202  # pool and caches warm
    trips = RoundTrips(engine)
    response = confirm(client, key, levy, "V-COUNTED", str(uuid.uuid4()))
    assert response.status_code == 202, response.text
    assert len(trips.sent) <= MOST_ROUND_TRIPS, "\n".join(trips.sent)
    with engine.connect() as conn:  # and it wrote what it promised: the confirmation and its command
        assert conn.execute(select(func.count()).select_from(PaymentConfirmation)).scalar_one() == 2
        assert (
            conn.execute(
                select(func.count()).select_from(OutboxCommand).where(OutboxCommand.kind == "record_payment")
            ).scalar_one()
            == 2
        )


def test_a_replay_is_answered_by_the_admission_transaction_whose_commit_makes_the_nonce_durable(api_in_process):
    client, engine, key, levy = api_in_process
    first = confirm(client, key, levy, "V-TWICE", "twice")
    trips = RoundTrips(engine)
    again = confirm(client, key, levy, "V-TWICE", "twice")
    assert again.status_code == 202 and again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert trips.sent.count("COMMIT") == 1, "\n".join(trips.sent)
    # On PostgreSQL that one COMMIT must wait for the WAL flush (no later commit flushes it for us).
    flush = [s for s in trips.sent if s.startswith("SET LOCAL synchronous_commit")]
    assert flush == (
        []
        if engine.dialect.name == "sqlite"
        else ["SET LOCAL synchronous_commit TO OFF", "SET LOCAL synchronous_commit TO DEFAULT"]
    )
