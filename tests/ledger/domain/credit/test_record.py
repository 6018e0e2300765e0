"""The credit record read from a real read model: every enterprise's score added up event by
event equals the listing's score summed in SQL, and the past is answered as the chain held it."""

from datetime import datetime, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from devtools.bench.workload import DAY, Workload
from ledger.domain.credit_records import credit_record, enterprises_by_grade, list_enterprises
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.indexer.loop import Indexer, IndexerConfig
from ledger.chain.rpc import JsonRpc


@pytest.fixture(scope="module")
def indexed(module_chain, tmp_path_factory):
    """Every kind of commitment event, then two late payments a month later; indexed into SQLite."""
    chain = module_chain
    work = Workload(chain.w3, chain.manifest, chain.signers, seed=11)
    before_overdue = work.now()
    work.every_event(300)
    projects = work.assess(2)
    work.travel(31 * DAY)
    work.pay(projects, 2)
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('credit') / 'read-model.db'}")
    upgrade_schema(engine)
    Indexer(
        engine=engine, rpc=JsonRpc(chain.node.url), manifest=chain.manifest, config=IndexerConfig(), owner="credit"
    ).catch_up()
    yield engine, before_overdue
    engine.dispose()


def everyone(session: Session, **kw) -> list:
    items, cursor = [], None
    while True:
        page = list_enterprises(session, cursor=cursor, limit=7, **kw)
        items += page.items
        if (cursor := page.next_cursor) is None:
            return items


def test_every_enterprises_listed_score_equals_its_record_added_up_event_by_event(indexed):
    engine, _ = indexed
    with Session(engine) as session:
        listed = everyone(session)
        assert len(listed) == len({e.enterprise_key for e in listed}) > 7  # several pages, no repeats
        kinds = set()
        for item in listed:
            record = credit_record(session, enterprise=item.enterprise_key)
            assert (record.score, record.grade, record.rule_set) == (item.score, item.grade, "sample-v3")
            assert record.score == 100 + sum(e.contribution for e in record.events)
            kinds |= {e.kind for e in record.events}
            for e in record.events:
                assert e.proof.block_time is not None and e.proof.transaction_hash.startswith("0x")
    assert kinds == {
        "fulfilled_on_time",
        "fulfilled_late",
        "marked_overdue",
        "breached",
        "repaired",
        "late_fee_payment",
        "counters_imported",
    }


def test_the_grade_filter_lists_exactly_the_enterprises_of_that_grade(indexed):
    engine, _ = indexed
    with Session(engine) as session:
        listed = everyone(session)
        for grade in "ABCD":
            assert [e.enterprise_key for e in everyone(session, grade=grade)] == [
                e.enterprise_key for e in listed if e.grade == grade
            ]


def test_the_count_per_grade_is_the_listing_counted_grade_by_grade(indexed):
    engine, _ = indexed
    with Session(engine) as session:
        grades = [e.grade for e in everyone(session)]
        counted = enterprises_by_grade(session)
    assert list(counted) == ["A", "B", "C", "D"]  # best first, every grade named
    assert counted == {grade: grades.count(grade) for grade in "ABCD"}
    assert len([g for g in "ABCD" if counted[g]]) >= 2  # the workload spreads enterprises over several grades


def test_a_record_as_of_a_past_date_leaves_out_what_the_chain_recorded_later(indexed):
    engine, before_overdue = indexed
    with Session(engine) as session:
        breached = session.execute(
            text("SELECT enterprise FROM commitment_events WHERE event = 'breached' LIMIT 1")
        ).scalar()
        now = credit_record(session, enterprise=breached)
        then = credit_record(
            session, enterprise=breached, as_of=datetime.fromtimestamp(before_overdue + DAY, timezone.utc)
        )
    assert any(e.kind == "breached" for e in now.events)
    assert not any(e.kind in ("marked_overdue", "breached", "repaired") for e in then.events)
    assert then.score == 100 + sum(e.contribution for e in then.events) and then.as_of is not None
