"""Credit sharing from a real chain (a node of the module's own, the indexer into SQLite): the simulated
credit platform, over HTTP, receives exactly the credit events the chain recorded — once each, in
chain order per enterprise — also those recorded while it was down, once it is back; and they are
the export's records."""

from datetime import timedelta

import pytest
from sqlmodel import Session

from devtools.bench.workload import DAY
from devtools.sim.credit_platform import CreditPlatform
from ledger.core.settings import Settings
from ledger.domain.common import from_unix
from ledger.domain.credit_export import credit_event_export
from ledger.sharing.push import backlog, deliver_due, with_event_ids
from tests.ledger.indexer.conftest import make_indexer, workload
from tests.support.chain import chain, module_chain  # noqa: F401


@pytest.fixture
def platform(published_key):
    credit_platform = CreditPlatform(published_key(Settings()), port=0).start()
    yield credit_platform
    credit_platform.stop()


def test_the_platform_gets_exactly_the_credit_events_on_chain_in_order_also_those_recorded_while_it_was_down(
    chain,  # noqa: F811
    tmp_path,
    platform,
):
    settings = Settings(credit_sharing={"url": platform.push_url, "retry_base_seconds": 0.0, "retry_max_seconds": 0.0})
    work = workload(chain, seed=5)
    started = work.now()
    work.every_event(60)  # fulfilments on time and late, overdue marks, breaches, repairs, for many enterprises
    indexer = make_indexer(chain, f"sqlite:///{tmp_path / 'read-model.db'}")
    indexer.catch_up()
    engine = indexer.engine
    first = deliver_due(engine, settings)
    assert first["queued"] > 10 and first["failed"] == 0

    platform.down()
    late = work.assess(2)
    work.travel(31 * DAY)
    work.pay(late, 2)  # late fee payments: credit events of their payers, recorded while the platform is down
    indexer.catch_up()
    while_down = deliver_due(engine, settings)
    assert while_down["queued"] >= 2 and while_down["delivered"] == 0 and while_down["failed"] >= 1
    platform.up()
    for _ in range(10):
        if not any(deliver_due(engine, settings).values()):
            break

    with Session(engine) as session:
        assert set(backlog(session)) == {"delivered"}
        since = from_unix(started - DAY)
        expected = with_event_ids(credit_event_export(session, since=since, until=since + timedelta(days=366)))
    kinds = {record.kind for _, record in expected}
    assert {"fulfilled_on_time", "marked_overdue", "breached", "repaired", "late_fee_payment"} <= kinds
    received = platform.received()
    assert sorted(r.event_id for r in received) == sorted(name for name, _ in expected)
    records = dict(expected)
    assert all(r.record == records[r.event_id].model_dump(mode="json") for r in received)
    for enterprise in {r.enterprise_key for r in received}:
        theirs = [r for r in received if r.enterprise_key == enterprise]
        assert [r.event_id for r in theirs] == [n for n, rec in expected if rec.enterprise_key == enterprise]
        assert [r.enterprise_sequence for r in theirs] == list(range(1, len(theirs) + 1))
    status = platform.status()
    assert (status["duplicates"], status["out_of_order"], status["received"]) == (0, 0, len(expected))
    indexer.engine.dispose()
