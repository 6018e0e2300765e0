"""The evidence-timing rule (issue 17 item 6) on a read model holding a history an earlier
contract version could write: the credit record, added up event by event, and the enterprise
list, summed in SQL, agree on it."""

import pytest

from ledger.domain.credit.rules import load_rule_set
from ledger.domain.credit_records import credit_record, list_enterprises
from tests.support.credit_history import ENTERPRISE, plant_credit_history


@pytest.fixture
def history(session):
    plant_credit_history(session)
    return session


def test_the_mark_the_evidence_predates_is_given_back_and_the_mark_after_it_stands(history):
    record = credit_record(history, enterprise=ENTERPRISE)
    assert record.rule_set == "sample-v3"
    assert [(e.kind, (e.commitment_key or "")[:4], e.contribution) for e in record.events] == [
        ("marked_overdue", "0xaa", -5),
        ("marked_overdue", "0xbb", -5),
        ("fulfilled_on_time", "0xaa", 1),
        ("overdue_mark_voided", "0xaa", 5),
        ("fulfilled_late", "0xbb", -3),
        ("fulfilled_on_time", "0xcc", 1),
    ]
    assert record.score == 100 + 1 - 8 + 1


@pytest.mark.parametrize("version, score", [("sample-v2", 94), ("sample-v1", 89)])
def test_the_listed_score_summed_in_sql_equals_the_record_under_each_rule_set(history, version, score):
    rules = load_rule_set(version)
    (listed,) = list_enterprises(history, rules=rules).items
    record = credit_record(history, enterprise=ENTERPRISE, rules=rules)
    assert listed.score == record.score == score
    assert listed.counts.get("overdue_mark_voided") == (1 if version == "sample-v2" else None)
