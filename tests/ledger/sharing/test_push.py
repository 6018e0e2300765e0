"""Credit sharing (issue 17 item 4): every credit event pushed to the simulated credit platform, really
over HTTP — exactly the export's records, once each, in order per enterprise, signed with the webhook
key (a bad signature refused), through the platform being down, with history and redelivery."""

import json
import threading
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import requests
from sqlalchemy import func, select
from sqlmodel import Session, col

from devtools.sim.credit_platform import CreditPlatform
from ledger.access.signing import private_key_from_seed, sign_request
from ledger.core.settings import Settings
from ledger.db.read_model import BlockTime, CommitmentEvent
from ledger.db.sharing_model import CreditPush, CreditPushAttempt
from ledger.domain import inspections, projects
from ledger.domain.common import enterprise_key_hex, read_model_chain_id
from ledger.domain.credit.rules import load_rule_set
from ledger.domain.credit_export import credit_event_export
from ledger.domain.errors import NotFound
from ledger.sharing.push import (
    _claim,
    _due,
    attempts,
    backlog,
    deliver_due,
    pushes,
    queue_new_events,
    redeliver,
    with_event_ids,
)
from tests.support.credit_history import (
    DAY,
    DRAW,
    DUE,
    ENTERPRISE,
    MARKED,
    SEED,
    commitment_key,
    plant_credit_history,
    plant_false_commitment,
)
from tests.support.samples import make_uscc, project

OTHER = enterprise_key_hex(make_uscc(2))  # a second enterprise, of which the chain knows no USCC
BEGINNING, END = DUE - 31 * DAY, MARKED + 10 * DAY
BOTH = ["sqlite", "postgresql"]  # the database_url fixture's parameters, for the tests that need both
OTHER_KEY = "b3RoZXItcGxhdGZvcm0ta2V5LW5vdC1wdWJsaXNoZCE="  # 32 bytes, not the published key


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def plant(session, block: int, timestamp: int, commitment: str, event: str, **kw) -> None:
    """One of the other enterprise's commitment events, in a block of its own."""
    chain = read_model_chain_id(session)
    session.add(BlockTime(chain_id=chain, block_number=block, block_hash=f"0x{block:064x}", timestamp=timestamp))
    session.add(
        CommitmentEvent(
            chain_id=chain,
            block_number=block,
            log_index=0,
            block_hash=f"0x{block:064x}",
            transaction_hash=f"0x{block + 1000:064x}",
            commitment="0x" + commitment * 32,
            enterprise=OTHER,
            event=event,
            **kw,
        )
    )
    session.commit()


@pytest.fixture
def history(session):
    """The planted history of enterprise 1 (tests.support.credit_history: blocks 10–15, six credit
    events), and the other enterprise's commitment marked overdue (block 16) and breached (block 17)."""
    projects.register_project(session, project=project(1), client="approval")
    plant_credit_history(session)
    plant(session, 16, MARKED + 3 * DAY, "dd", "marked_overdue", due_at=DUE)
    plant(session, 17, MARKED + 4 * DAY, "dd", "breached")
    return session


@pytest.fixture
def platform(published_key):
    credit_platform = CreditPlatform(published_key(Settings()), port=0).start()
    yield credit_platform
    credit_platform.stop()


def sharing(platform: CreditPlatform, **platform_settings) -> Settings:
    """The ledger pushing to `platform`, retrying at once (the back-off is not what these tests wait for)."""
    return Settings(
        credit_sharing={"url": platform.push_url, "retry_base_seconds": 0.0, "retry_max_seconds": 0.0},
        **({"platform": platform_settings} if platform_settings else {}),
    )


def drain(engine, settings: Settings) -> None:
    """Run the task until it has nothing left to do (a bounded number of times)."""
    for _ in range(10):
        if not any(deliver_due(engine, settings).values()):
            return
    raise AssertionError("the pushes did not settle")


def stored(engine, event_id: str) -> CreditPush:
    with Session(engine) as s:
        return s.execute(select(CreditPush).where(CreditPush.event_id == event_id)).scalar_one()


def exported(session) -> list:
    return with_event_ids(credit_event_export(session, since=at(BEGINNING), until=at(END)))


def assert_in_order_once_each(platform: CreditPlatform, expected: list) -> None:
    received = platform.received()
    assert sorted(r.event_id for r in received) == sorted(name for name, _ in expected)
    for enterprise in (ENTERPRISE, OTHER):
        theirs = [r for r in received if r.enterprise_key == enterprise]
        assert [r.event_id for r in theirs] == [name for name, rec in expected if rec.enterprise_key == enterprise]
        assert [r.enterprise_sequence for r in theirs] == list(range(1, len(theirs) + 1))
    status = platform.status()
    assert (status["duplicates"], status["out_of_order"]) == (0, 0)


@pytest.mark.parametrize("database_url", BOTH, indirect=True)
def test_the_platform_receives_exactly_the_credit_events_on_chain_once_each_in_order_per_enterprise(
    engine, history, platform
):
    drain(engine, sharing(platform))
    expected = exported(history)
    assert len(expected) == 8  # enterprise 1: two marks, a voided mark, three fulfilments; the other: mark, breach
    assert_in_order_once_each(platform, expected)
    with Session(engine) as s:
        assert backlog(s) == {"delivered": 8}


def test_the_pushed_records_are_the_exports_records_for_the_same_range(engine, history, platform):
    drain(engine, sharing(platform))
    received = {r.event_id: r.record for r in platform.received()}
    records = exported(history)
    assert [received[name] for name, _ in records] == [record.model_dump(mode="json") for _, record in records]
    assert {r["uscc"] for r in received.values()} == {make_uscc(1), None}


def test_while_the_platform_is_down_the_pushes_pile_up_and_all_arrive_once_in_order_when_it_is_back(
    engine, history, platform
):
    settings = sharing(platform)
    platform.down()
    first = deliver_due(engine, settings)
    # The first push of each enterprise is tried and refused; the others wait behind it.
    assert first == {"queued": 8, "delivered": 0, "failed": 2}
    plant(history, 18, MARKED + 5 * DAY, "dd", "repaired", fact_at=MARKED + 5 * DAY)  # more, while down
    assert deliver_due(engine, settings) == {"queued": 1, "delivered": 0, "failed": 2}
    assert platform.received() == []
    with Session(engine) as s:
        assert backlog(s) == {"pending": 9}
    platform.up()
    drain(engine, settings)
    assert_in_order_once_each(platform, exported(history))
    assert [r.record["kind"] for r in platform.received() if r.enterprise_key == OTHER] == [
        "marked_overdue",
        "breached",
        "repaired",
    ]
    with Session(engine) as s:
        first_push = pushes(s, enterprise_key=ENTERPRISE)[-1]
        assert [a.status_code for a in attempts(s, event_id=first_push.event_id)] == [503, 503, 200]
        assert (first_push.status, first_push.attempts, first_push.last_status_code) == ("delivered", 3, 200)


def test_an_enterprise_whose_pushes_are_refused_does_not_hold_up_the_others(engine, history, platform):
    settings = sharing(platform)
    platform.refuse(ENTERPRISE)
    for _ in range(3):
        deliver_due(engine, settings)
    assert [r.record["kind"] for r in platform.received()] == ["marked_overdue", "breached"]
    assert {r.enterprise_key for r in platform.received()} == {OTHER}
    platform.accept(ENTERPRISE)
    drain(engine, settings)
    assert_in_order_once_each(platform, exported(history))


def test_the_platform_refuses_a_push_not_signed_with_the_published_key(engine, history, platform):
    impostor = sharing(platform, signing_key=OTHER_KEY)
    assert deliver_due(engine, impostor) == {"queued": 8, "delivered": 0, "failed": 2}
    assert platform.received() == [] and platform.status()["refused"] == {401: 2}
    with Session(engine) as s:
        assert {p.last_status_code for p in pushes(s) if p.attempts} == {401}
    drain(engine, sharing(platform))  # the right key: taken
    assert len(platform.received()) == 8


def test_the_platform_checks_the_signature_over_the_body_and_each_nonce_once(engine, history, platform):
    settings = sharing(platform)
    queue_new_events(engine)
    with Session(engine) as s:
        push = pushes(s, enterprise_key=OTHER)[-1]
    body = stored(engine, push.event_id).payload
    key = private_key_from_seed(settings.platform.signing_key.get_secret_value())
    target = "/credit-events"

    def post(payload: bytes, signed: bytes, nonce: str | None = None) -> requests.Response:
        headers = sign_request(key, client_id="platform", method="POST", target=target, body=signed, nonce=nonce)
        return requests.post(
            platform.push_url,
            data=payload,
            headers=headers.as_dict() | {"X-Credit-Event-Id": push.event_id, "X-Credit-Schema-Version": "1"},
            timeout=10,
        )

    tampered = json.dumps(json.loads(body) | {"enterprise_sequence": 2}).encode()
    assert post(tampered, body.encode()).status_code == 401  # the body is not what was signed
    assert post(body.encode(), body.encode(), nonce="n" * 24).status_code == 200
    assert post(body.encode(), body.encode(), nonce="n" * 24).status_code == 401  # a replayed nonce
    assert [r.event_id for r in platform.received()] == [push.event_id]


def test_redelivering_a_delivered_push_sends_it_again_and_the_platform_keeps_it_once(engine, history, platform):
    settings = sharing(platform)
    drain(engine, settings)
    with Session(engine) as s:
        first = pushes(s, enterprise_key=ENTERPRISE)[-1]
        assert redeliver(s, event_id=first.event_id).status == "pending"
        s.commit()
        with pytest.raises(NotFound):
            redeliver(s, event_id="31337-0-0-forgiven")
    assert deliver_due(engine, settings) == {"queued": 0, "delivered": 1, "failed": 0}
    assert platform.status()["duplicates"] == 1 and len(platform.received()) == 8
    with Session(engine) as s:
        assert [a.status_code for a in attempts(s, event_id=first.event_id)] == [200, 200]
        assert pushes(s, event_id=first.event_id)[0].status == "delivered"


@pytest.mark.parametrize("database_url", BOTH, indirect=True)
def test_a_push_is_claimed_by_one_worker_at_a_time_and_its_enterprise_waits_for_it(engine, history):
    queue_new_events(engine)
    now = time.time()
    first, *_ = _due(engine, now=now, limit=10)
    assert _claim(engine, first, now=now, seconds=60) is not None
    assert _claim(engine, first, now=now, seconds=60) is None  # another worker's: not sent twice at once
    assert first not in _due(engine, now=now, limit=10)
    with Session(engine) as s:
        following = pushes(s, enterprise_key=ENTERPRISE)[-2]  # the enterprise's second push
    second = stored(engine, following.event_id).seq
    assert _claim(engine, second, now=now, seconds=60) is None  # waits while the first is being sent
    assert _claim(engine, first, now=now + 61, seconds=60) is not None  # a dead worker's claim runs out


@pytest.mark.parametrize("database_url", BOTH, indirect=True)
def test_workers_at_once_send_each_push_once(engine, history, platform):
    settings = sharing(platform)
    queue_new_events(engine)
    workers = [threading.Thread(target=deliver_due, args=(engine, settings)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    drain(engine, settings)
    assert_in_order_once_each(platform, exported(history))
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(CreditPushAttempt)).scalar_one() == 8


def test_each_event_is_queued_once_also_one_in_a_block_of_the_last_scanned_second_indexed_later(engine, history):
    assert queue_new_events(engine) == 8
    assert queue_new_events(engine) == 0
    plant(history, 18, MARKED + 4 * DAY, "ee", "breached")  # the same second as block 17, the last scanned
    assert queue_new_events(engine) == 1
    with Session(engine) as s:
        assert [p.enterprise_sequence for p in pushes(s, enterprise_key=OTHER)] == [3, 2, 1]


def test_sharing_is_off_while_the_platforms_url_is_unset(engine, history):
    assert Settings().credit_sharing.url is None
    assert deliver_due(engine, Settings()) == {"queued": 0, "delivered": 0, "failed": 0}
    with Session(engine) as s:
        assert backlog(s) == {}


def test_pushes_signed_under_either_crypto_profile_are_verified_against_the_published_key(
    engine, history, published_key, crypto_profile
):
    settings = Settings()  # LEDGER_CRYPTO_PROFILE as the fixture set it: Ed25519, or SM2 with SM3
    assert settings.crypto_profile == crypto_profile.name
    credit_platform = CreditPlatform(published_key(settings), port=0).start()
    try:
        shared = settings.model_copy(update={"credit_sharing": sharing(credit_platform).credit_sharing})
        drain(engine, shared)
        assert len(credit_platform.received()) == 8 and credit_platform.status()["refused"] == {}
        assert crypto_profile.signatures.owns(credit_platform.public_key())
    finally:
        credit_platform.stop()


def test_a_false_commitment_is_queued_though_its_draw_s_selection_was_not_kept_yet(engine, session, monkeypatch):
    """The outcome is indexed before any notice scan kept the draw's selection: the scan keeps it first
    (the selection's recomputation is stubbed here; tests/ledger/domain/test_inspections.py tests it)."""
    plant_credit_history(session)
    plant_false_commitment(session, selection_kept=False)
    session.commit()
    drawn = SimpleNamespace(draw=DRAW, seed=SEED, selected_commitments=[commitment_key("c")])
    monkeypatch.setattr(inspections, "public_draws", lambda s: SimpleNamespace(items=[drawn]))
    queue_new_events(engine, rules=load_rule_set("sample-v3"))
    with Session(engine) as s:
        kinds = s.execute(select(col(CreditPush.kind))).scalars().all()
    assert kinds.count("false_commitment") == 1


def test_a_false_commitment_reaches_the_platform_weighed_by_the_rule_set_in_force(
    engine, session, platform, monkeypatch
):
    """No rule set named, as the worker's task runs: the false commitment goes out, signed and verified
    by the platform, with its weight and the version in force (the planted draw has no commitment event
    to recompute its selection from: the selection is planted as kept, and the recomputation stubbed)."""
    plant_credit_history(session)
    plant_false_commitment(session)
    session.commit()
    monkeypatch.setattr(inspections, "public_draws", lambda s: SimpleNamespace(items=[]))
    drain(engine, sharing(platform))
    (found,) = [r for r in platform.received() if r.record["kind"] == "false_commitment"]
    assert (found.record["commitment_key"], found.record["contribution"], found.record["rule_set"]) == (
        commitment_key("c"),
        -30,
        "sample-v3",
    )
    assert platform.status()["refused"] == {}
