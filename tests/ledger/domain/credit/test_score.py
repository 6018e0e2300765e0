import pytest
from pydantic import ValidationError

from ledger.domain.credit.rules import RuleSet, load_rule_set
from ledger.domain.credit.score import COUNTERS_IMPORTED, CreditEventProof, CreditEvent, score_events

RULES = load_rule_set("sample-v1")


def event(kind: str, block: int, *, time: int | None = 1_000, **kw) -> CreditEvent:
    proof = CreditEventProof(31337, block, 0, "0x" + "11" * 32, "0x" + "22" * 32, time)
    return CreditEvent(kind, "0x" + "ee" * 32, proof, **kw)


def test_the_sample_rule_set_is_labelled_and_carries_the_weights_of_the_design():
    assert RULES.version == "sample-v1" and "SAMPLE" in RULES.label
    assert RULES.start == 100
    assert RULES.weights == {
        "fulfilled_on_time": 1,
        "fulfilled_late": -3,
        "marked_overdue": -5,
        "breached": -20,
        "repaired": 10,
        "late_fee_payment": -2,
    }
    assert [RULES.grade(s) for s in (90, 89, 75, 74, 60, 59)] == ["A", "B", "B", "C", "C", "D"]


def test_each_event_contributes_its_weight_in_chain_order_and_the_rule_set_version_is_in_the_answer():
    events = [
        event("breached", 3),
        event("marked_overdue", 2),
        event("fulfilled_on_time", 1),
        event("repaired", 4),
        event("late_fee_payment", 5),
        event("fulfilled_late", 6),
    ]
    scored = score_events(events, RULES)
    assert [(s.event.kind, s.contribution, s.score_after) for s in scored.events] == [
        ("fulfilled_on_time", 1, 101),
        ("marked_overdue", -5, 96),
        ("breached", -20, 76),
        ("repaired", 10, 86),
        ("late_fee_payment", -2, 84),
        ("fulfilled_late", -3, 81),
    ]
    assert (scored.score, scored.grade, scored.rule_set) == (81, "B", "sample-v1")


def test_as_of_a_past_moment_counts_only_the_events_in_blocks_at_or_before_it():
    events = [event("marked_overdue", 1, time=100), event("breached", 2, time=200), event("repaired", 3, time=None)]
    assert score_events(events, RULES, as_of=99).score == 100
    assert score_events(events, RULES, as_of=100).score == 95
    assert score_events(events, RULES, as_of=10**10).score == 75  # the event without a known block time is left out
    assert score_events(events, RULES).score == 85


def test_imported_counters_count_as_the_events_they_count():
    counts = {"fulfilled_on_time": 3, "fulfilled_late": 1, "marked_overdue": 2, "breached": 1, "repaired": 1}
    scored = score_events([event(COUNTERS_IMPORTED, 1, counts=counts)], RULES)
    assert scored.events[0].contribution == 3 - 3 - 10 - 20 + 10
    assert scored.score == 80


def test_a_rule_set_without_a_weight_for_every_event_kind_is_refused():
    data = RULES.model_dump()
    del data["weights"]["late_fee_payment"]
    with pytest.raises(ValidationError, match="late_fee_payment"):
        RuleSet.model_validate(data)
