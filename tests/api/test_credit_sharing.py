"""/v1/office/credit-pushes: the office reads the pushes to the credit platform and a push's attempts,
and queues one again — on the whole app over a scratch SQLite database."""

import uuid

from fastapi.testclient import TestClient
from sqlmodel import Session

from devtools.dev_node import free_port
from ledger.access.users import add_user
from ledger.core.settings import Settings
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.sharing.push import deliver_due
from tests.support.credit_history import plant_credit_history
from tests.support.rates import mirror_sample_rate_table
from web.app import create_app

PASSWORD = "credit sharing test password"


def test_the_office_reads_the_pushes_and_their_attempts_and_queues_one_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    mirror_sample_rate_table(engine)
    add_user(engine, username="clerk", password=PASSWORD, role="office")
    with Session(engine) as session:
        plant_credit_history(session)
    nobody = f"http://127.0.0.1:{free_port()}/credit-events"  # the platform does not answer
    assert deliver_due(engine, Settings(credit_sharing={"url": nobody}))["queued"] == 6
    engine.dispose()
    settings = Settings(
        database={"url": url},
        api={"throttle_storage_url": "redis://127.0.0.1:6379/0", "throttle_key_prefix": f"test-{uuid.uuid4().hex}"},
    )
    client = TestClient(create_app(settings))
    login = client.post("/v1/auth/login", json={"username": "clerk", "password": PASSWORD})
    assert login.status_code == 200, login.text
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}

    listed = client.get("/v1/office/credit-pushes", params={"status": "pending"})
    assert listed.status_code == 200 and len(listed.json()) == 6
    oldest = listed.json()[-1]
    assert (oldest["enterprise_sequence"], oldest["attempts"], oldest["delivered_at"]) == (1, 1, None)
    tried = client.get(f"/v1/office/credit-pushes/{oldest['event_id']}/attempts").json()
    assert len(tried) == 1 and tried[0]["status_code"] is None and "ConnectionError" in tried[0]["error"]

    again = client.post(f"/v1/office/credit-pushes/{oldest['event_id']}/redeliver", headers=csrf)
    assert again.status_code == 200 and again.json()["status"] == "pending"
    unknown = client.post("/v1/office/credit-pushes/31337-999999-0-breached/redeliver", headers=csrf)
    assert unknown.status_code == 404 and unknown.json()["field"] == "event_id"
    assert client.get("/v1/office/credit-pushes/not-an-event-id/attempts").status_code == 422
    assert client.get("/v1/office/credit-pushes", params={"limit": 501}).status_code == 422
