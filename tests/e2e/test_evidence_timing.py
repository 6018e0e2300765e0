"""The evidence-timing rule (issue 17 item 6) end to end on CommitmentRegistry v3: the services
queue, the outbox writer sends to a real node, the indexer mirrors it, the credit record scores it.
Two enterprises, the same commitment and the same evidence dated before the due date: one's evidence
reaches the chain in time (it stops the overdue clock), the other's only after the sweep marked the
commitment overdue. The second ends with exactly the first's score: the mark stays in the record,
given back by `overdue_mark_voided`."""

from datetime import datetime, timedelta, timezone

import pytest

from ledger.domain import commitments, projects
from ledger.domain.credit.rules import load_rule_set
from ledger.domain.credit_records import credit_record, list_enterprises
from ledger.domain.schemas.office import CommitmentDecision
from ledger.db.engine import make_engine
from tests.contracts.helpers import GRACE
from tests.support.databases import database_url, make_database  # noqa: F401
from tests.support.ledger_env import WritePath
from tests.support.public_world import index
from tests.support.samples import commitment, make_uscc, project, sha

IN_TIME, AFTER_THE_MARK = 71, 72  # sample project (and builder) numbers


@pytest.fixture
def write_path(chain, database_url, monkeypatch):  # noqa: F811
    """The services, an in-process outbox writer and indexer on a fresh deployment (the chain fixture)."""
    from ledger.domain import chain_time

    clock = chain_time.ChainClock(chain.node.url)  # the services judge fact times by this node's clock
    monkeypatch.setattr(chain_time, "chain_clock", lambda: clock)
    engine = make_engine(database_url)
    yield WritePath(chain=chain, url=database_url, engine=engine)
    engine.dispose()


def decide(path: WritePath, number: str, action: str, decided_at: datetime | None = None) -> None:
    with path.session() as s:
        commitments.decide_commitment(
            s,
            commitment_number=number,
            actor="office",
            decision=CommitmentDecision(
                action=action, document_sha256=sha(f"{action}-{number}"), decided_at=decided_at
            ),
        )
        s.commit()
    path.drain()
    index(path)


def events_of(path: WritePath, n: int, rules) -> list[tuple[str, int]]:
    with path.session() as s:
        record = credit_record(s, enterprise=make_uscc(n), rules=rules)
    return [(e.kind, e.contribution) for e in record.events]


def test_evidence_dated_before_the_due_date_scores_the_same_whether_it_reaches_the_chain_before_or_after_the_mark(
    write_path,
):
    path, chain = write_path, write_path.chain
    index(path)  # the rate tables deploy published
    signed = datetime.fromtimestamp(chain.now(), timezone.utc) - timedelta(days=10)
    due_date = (signed + timedelta(days=3)).date()
    evidence_at = signed + timedelta(days=1)  # the enterprise's evidence came a day after signing
    numbers = {n: f"C-TIMING-{n}" for n in (IN_TIME, AFTER_THE_MARK)}
    with path.session() as s:
        for n, number in numbers.items():
            projects.register_project(s, project=project(n), client="approval")
            commitments.record_commitments(
                s,
                commitments=[
                    commitment(n, number, kind="materials").model_copy(
                        update={"signed_at": signed, "due_date": due_date}
                    )
                ],
                client="approval",
            )
        s.commit()
    path.drain()
    index(path)
    decide(path, numbers[IN_TIME], "submit_evidence", evidence_at)  # in time: it stops the overdue clock

    chain.travel(GRACE + 60)  # the grace (counted from recording) goes by
    with path.session() as s:
        assert len(commitments.sweep_overdue(s, now=chain.now() + 1)) == 1  # only the one without evidence
        s.commit()
    path.drain()
    index(path)
    assert [kind for kind, _ in events_of(path, AFTER_THE_MARK, load_rule_set("sample-v2"))] == ["marked_overdue"]

    decide(path, numbers[AFTER_THE_MARK], "submit_evidence", evidence_at)  # the same date, after the mark
    for number in numbers.values():
        decide(path, number, "fulfil")

    for version in ("sample-v2", "sample-v3"):  # the rule sets with the evidence-timing rule
        rules = load_rule_set(version)
        in_time, after_the_mark = events_of(path, IN_TIME, rules), events_of(path, AFTER_THE_MARK, rules)
        assert [kind for kind, _ in in_time] == ["fulfilled_on_time"]
        assert [kind for kind, _ in after_the_mark] == ["marked_overdue", "fulfilled_on_time", "overdue_mark_voided"]
        assert sum(c for _, c in after_the_mark) == sum(c for _, c in in_time)
        with path.session() as s:
            scores = {
                n: credit_record(s, enterprise=make_uscc(n), rules=rules).score for n in (IN_TIME, AFTER_THE_MARK)
            }
            listed = sorted(e.score for e in list_enterprises(s, rules=rules).items)
        assert scores[IN_TIME] == scores[AFTER_THE_MARK]
        assert listed == sorted(scores.values())  # the list, summed in SQL from the counters, agrees
