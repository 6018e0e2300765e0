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


# -- evidence timing (issue 17 item 6): sample-v2 gives back a mark the fulfilment predates --------

V2 = load_rule_set("sample-v2")
DUE, MARKED = 10_000, 10_000 + 86_400  # the due date; the mark's block time, after the grace


def commitment_event(kind: str, block: int, *, time: int, fact_at: int | None = None) -> CreditEvent:
    return event(kind, block, time=time, commitment="0x" + "cc" * 32, fact_at=fact_at)


def kinds_and_scores(scored) -> list[tuple[str, int, int]]:
    return [(s.event.kind, s.contribution, s.score_after) for s in scored.events]


def test_sample_v2_is_sample_v1_plus_the_evidence_timing_rule():
    assert "SAMPLE" in V2.label
    assert V2.weights == {**RULES.weights, "overdue_mark_voided": 5}
    assert (V2.start, V2.grades, V2.lowest_grade) == (RULES.start, RULES.grades, RULES.lowest_grade)
    assert V2.voids_predated_marks and not RULES.voids_predated_marks


def test_evidence_dated_before_the_due_date_scores_the_same_whether_it_reaches_the_chain_before_or_after_the_mark():
    in_time = [commitment_event("fulfilled_on_time", 1, time=DUE - 50, fact_at=DUE - 100)]
    after_the_mark = [
        commitment_event("marked_overdue", 1, time=MARKED),
        commitment_event("fulfilled_on_time", 2, time=MARKED + 3_600, fact_at=DUE - 100),
    ]
    assert kinds_and_scores(score_events(in_time, V2)) == [("fulfilled_on_time", 1, 101)]
    late = score_events(after_the_mark, V2)
    assert kinds_and_scores(late) == [
        ("marked_overdue", -5, 95),
        ("fulfilled_on_time", 1, 96),
        ("overdue_mark_voided", 5, 101),
    ]
    offset = late.events[-1].event
    assert (offset.proof, offset.fact_at) == (after_the_mark[1].proof, DUE - 100)  # the fulfilment is its proof


def test_evidence_dated_after_the_due_date_but_before_the_mark_is_still_late_and_the_mark_is_given_back():
    in_time = [commitment_event("fulfilled_late", 1, time=DUE + 50, fact_at=DUE + 10)]
    after_the_mark = [
        commitment_event("marked_overdue", 1, time=MARKED),
        commitment_event("fulfilled_late", 2, time=MARKED + 3_600, fact_at=DUE + 10),
    ]
    assert score_events(in_time, V2).score == score_events(after_the_mark, V2).score == 97
    assert [s.event.kind for s in score_events(after_the_mark, V2).events][-2:] == [
        "fulfilled_late",
        "overdue_mark_voided",
    ]


def test_evidence_dated_at_or_after_the_mark_leaves_the_mark_standing():
    for fact_at in (MARKED, MARKED + 1):
        events = [
            commitment_event("marked_overdue", 1, time=MARKED),
            commitment_event("fulfilled_late", 2, time=MARKED + 3_600, fact_at=fact_at),
        ]
        assert kinds_and_scores(score_events(events, V2)) == [("marked_overdue", -5, 95), ("fulfilled_late", -3, 92)]


def test_only_the_marks_the_fulfilment_predates_are_given_back_when_a_commitment_was_marked_twice():
    events = [
        commitment_event("marked_overdue", 1, time=MARKED),  # extended after this mark, then marked again
        commitment_event("marked_overdue", 2, time=MARKED + 10 * 86_400),
        commitment_event("fulfilled_late", 3, time=MARKED + 11 * 86_400, fact_at=MARKED + 5 * 86_400),
    ]
    scored = score_events(events, V2)
    assert [s.contribution for s in scored.events] == [-5, -5, -3, 5] and scored.score == 92


def test_a_record_as_of_a_moment_between_the_mark_and_the_late_evidence_still_shows_the_mark():
    events = [
        commitment_event("marked_overdue", 1, time=MARKED),
        commitment_event("fulfilled_on_time", 2, time=MARKED + 3_600, fact_at=DUE - 100),
    ]
    then, now = score_events(events, V2, as_of=MARKED + 60), score_events(events, V2)
    assert kinds_and_scores(then) == [("marked_overdue", -5, 95)]
    assert kinds_and_scores(now)[: len(then.events)] == kinds_and_scores(then)  # history is only appended to


def test_sample_v1_scores_the_late_evidence_as_it_always_did():
    events = [
        commitment_event("marked_overdue", 1, time=MARKED),
        commitment_event("fulfilled_on_time", 2, time=MARKED + 3_600, fact_at=DUE - 100),
    ]
    scored = score_events(events, RULES)
    assert kinds_and_scores(scored) == [("marked_overdue", -5, 95), ("fulfilled_on_time", 1, 96)]
    assert scored.rule_set == "sample-v1"


def test_a_rule_set_whose_offset_does_not_give_back_exactly_the_marks_weight_is_refused():
    data = V2.model_dump()
    data["weights"]["overdue_mark_voided"] = 3
    with pytest.raises(
        ValidationError, match="overdue_mark_voided must give back exactly the weight of marked_overdue"
    ):
        RuleSet.model_validate(data)
