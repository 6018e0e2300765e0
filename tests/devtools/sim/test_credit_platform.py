"""The simulated credit platform checks what a real intake would: the signature against the published
key, the schema version and the record's JSON Schema, duplicates by event id, each enterprise's order;
and it can be told to be down."""

import json

import pytest
import requests

from devtools.sim.credit_platform import CreditPlatform
from ledger.access.signing import private_key_from_seed, sign_request
from ledger.core.settings import Settings
from tests.support.published_key import published_key  # noqa: F401

ENTERPRISE = "0x" + "5e" * 32
RECORD = {
    "enterprise_key": ENTERPRISE,
    "uscc": None,
    "kind": "marked_overdue",
    "contribution": -5,
    "rule_set": "sample-v3",
    "recorded_at": "2027-07-08T02:00:00Z",
    "fact_at": None,
    "commitment_key": "0x" + "c0" * 32,
    "commitment_number": None,
    "project_key": None,
    "project_code": None,
    "counts": None,
    "proof": {
        "chain_id": 31337,
        "block_number": 11,
        "log_index": 0,
        "block_hash": "0x" + "cd" * 32,
        "transaction_hash": "0x" + "ef" * 32,
    },
}


@pytest.fixture
def platform(published_key):  # noqa: F811
    credit_platform = CreditPlatform(published_key(Settings()), port=0).start()
    yield credit_platform
    credit_platform.stop()


def push(platform: CreditPlatform, sequence: int, **changes) -> requests.Response:
    """A push signed with the platform key the ledger publishes (the development key here)."""
    record = RECORD | {"proof": RECORD["proof"] | {"block_number": 10 + sequence}} | changes.pop("record", {})
    name = f"31337-{10 + sequence}-0-marked_overdue"
    envelope = {
        "schema_version": 1,
        "event_id": name,
        "enterprise_key": ENTERPRISE,
        "enterprise_sequence": sequence,
        "queued_at": "2027-07-08T02:00:01Z",
        "record": record,
    } | changes
    body = json.dumps(envelope).encode()
    key = private_key_from_seed(Settings().platform.signing_key.get_secret_value())
    headers = sign_request(key, client_id="platform", method="POST", target="/credit-events", body=body).as_dict()
    headers |= {"X-Credit-Event-Id": envelope["event_id"], "X-Credit-Schema-Version": str(envelope["schema_version"])}
    return requests.post(platform.push_url, data=body, headers=headers, timeout=10)


def test_the_platform_takes_each_enterprises_events_in_sequence_once_each(platform):
    assert push(platform, 1).json() == {"event_id": "31337-11-0-marked_overdue", "duplicate": False}
    assert push(platform, 3).status_code == 409  # 2 is missing: out of order
    assert push(platform, 1).json()["duplicate"] is True  # again: kept once
    assert push(platform, 2).status_code == 200 and push(platform, 3).status_code == 200
    assert [r.enterprise_sequence for r in platform.received()] == [1, 2, 3]
    status = platform.status()
    assert (status["received"], status["duplicates"], status["out_of_order"]) == (3, 1, 1)


def test_a_record_the_schema_refuses_or_another_schema_version_is_refused(platform):
    assert push(platform, 1, record={"kind": "forgiven"}).status_code == 422
    assert push(platform, 1, record={"uscc": "123"}).status_code == 422
    assert push(platform, 1, schema_version=2).status_code == 422
    assert platform.received() == []


def test_told_to_be_down_the_platform_answers_503_until_it_is_up_again(platform):
    assert requests.post(platform.url + "/control/down?seconds=600", timeout=10).json()["down"] is True
    assert push(platform, 1).status_code == 503
    assert requests.post(platform.url + "/control/up", timeout=10).json()["down"] is False
    assert push(platform, 1).status_code == 200
    assert requests.get(platform.url + "/status", timeout=10).json()["refused"] == {"503": 1}
