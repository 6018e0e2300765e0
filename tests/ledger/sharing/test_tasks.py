"""Credit sharing end to end with real processes (issue 17 item 4): credit events on a real node — three
commitments fulfilled and one of them found false by a random inspection (不实承诺) — are indexed by a real
Celery worker (beat: the indexer, `ledger.sharing.push`) on Redis and PostgreSQL, and reach the simulated
credit platform over HTTP, which verifies each push's signature against the published key: exactly the
export's records, once each, in order per enterprise, weighed by the rule set in force."""

from datetime import timedelta

import pytest
from sqlmodel import Session

from devtools.bench.workload import DAY
from devtools.sim.credit_platform import CreditPlatform
from ledger.core.identifiers import reference_key
from ledger.core.settings import Settings
from ledger.db.engine import make_engine
from ledger.domain.common import from_unix
from ledger.domain.credit.rules import DEFAULT_VERSION
from ledger.domain.credit_export import credit_event_export
from ledger.domain.inspection_draws import PublishedDrawFile, pool_hash
from ledger.domain.inspections import publish_pools
from ledger.sharing.push import with_event_ids
from tests.contracts.helpers import DOC, send_at
from tests.ledger.indexer.conftest import workload
from tests.support.celery_worker import celery_worker, wait_until, worker_env  # noqa: F401
from tests.support.chain import chain, module_chain  # noqa: F401

DRAW = reference_key("DRAW-SHARING-1")
ROSTER = sorted(reference_key(f"INSPECTOR-{n}") for n in range(2))
FALSE_COMMITMENT = 3  # IInspectionDraws.Outcome.FalseCommitment


@pytest.fixture(autouse=True)
def published_rates():
    """The worker's indexer fills this read model from the node (overrides the package's planted table)."""


@pytest.fixture
def platform(published_key):
    credit_platform = CreditPlatform(published_key(Settings()), port=0).start()  # the worker's own key
    yield credit_platform
    credit_platform.stop()


def inspect_all(chain, commitments: list[bytes]) -> bytes:  # noqa: F811
    """A draw that picks every one of `commitments`, revealed, and the first found false; returns it."""
    pool = sorted(commitments)
    reveal_block = chain.w3.eth.block_number + 11
    commit = chain.draws.functions.commitDraw(
        DRAW, pool_hash(pool), len(pool), pool_hash(ROSTER), len(ROSTER), len(pool), 1, reveal_block
    )
    send_at(chain, "VERIFIER_ROLE", commit)
    chain.mine(11)
    send_at(chain, "OUTSIDER", chain.draws.functions.reveal(DRAW))
    send_at(chain, "VERIFIER_ROLE", chain.draws.functions.recordOutcome(DRAW, pool[0], FALSE_COMMITMENT, DOC))
    return pool[0]


def test_credit_events_on_chain_reach_the_platform_signed_through_the_worker_false_commitment_included(
    chain,  # noqa: F811
    make_database,
    celery_worker,  # noqa: F811
    platform,
):
    url = make_database("postgresql")
    engine = make_engine(url)
    work = workload(chain, seed=17)
    started = work.now()
    commitments = work.record(work.assess(1), 3)
    work.decide("fulfil", commitments, reference_key("evidence"), None)
    with Session(engine) as session:  # published with the commitment, as the office's draw does
        publish_pools(
            session,
            pools=PublishedDrawFile(
                draw="0x" + DRAW.hex(),
                candidates=["0x" + c.hex() for c in commitments],
                inspectors=["0x" + i.hex() for i in ROSTER],
            ),
            title="信用共享端到端",
        )
        session.commit()
    falsified = "0x" + inspect_all(chain, commitments).hex()

    worker = celery_worker(
        url,
        LEDGER_CREDIT_SHARING_URL=platform.push_url,
        LEDGER_CREDIT_SHARING_POLL_SECONDS="0.2",
        LEDGER_CREDIT_SHARING_RETRY_BASE_SECONDS="0.2",
        LEDGER_CREDIT_SHARING_RETRY_MAX_SECONDS="1",
    )
    wait_until(
        lambda: len(platform.received()) >= 4, timeout=90, worker=worker, what="four credit events at the platform"
    )

    with Session(engine) as session:
        since = from_unix(started - DAY)
        expected = with_event_ids(credit_event_export(session, since=since, until=since + timedelta(days=366)))
    assert sorted(record.kind for _, record in expected) == ["false_commitment"] + ["fulfilled_on_time"] * 3
    received = platform.received()
    assert sorted(r.event_id for r in received) == sorted(name for name, _ in expected)
    records = dict(expected)
    assert all(r.record == records[r.event_id].model_dump(mode="json") for r in received)
    (found,) = [r.record for r in received if r.record["kind"] == "false_commitment"]
    assert (found["commitment_key"], found["contribution"], found["rule_set"]) == (falsified, -30, DEFAULT_VERSION)
    for enterprise in {r.enterprise_key for r in received}:
        theirs = [r for r in received if r.enterprise_key == enterprise]
        assert [r.event_id for r in theirs] == [n for n, rec in expected if rec.enterprise_key == enterprise]
        assert [r.enterprise_sequence for r in theirs] == list(range(1, len(theirs) + 1))
    status = platform.status()  # every push's signature verified: nothing refused, nothing twice
    assert (status["received"], status["duplicates"], status["out_of_order"], status["refused"]) == (4, 0, 0, {})
    engine.dispose()
