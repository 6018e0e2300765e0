"""The declaration guide's rules: shelter or fee at the thresholds, the estimator's fee on the areas it
decides, the reductions, steps and checklist it lists, and a rules file with a bad rule refused."""

import json
from datetime import date

import pytest
from pydantic import ValidationError

from ledger.domain import fees, guide
from ledger.domain.guide import Answers, MaterialOnFile

RULES = guide.load_guide_rules()


def answers(**changes) -> Answers:
    base = {
        "district": "410105",
        "land_use": "RESIDENTIAL",
        "building_type": "HIGH_RISE",
        "above_ground_area": 5_000_000,  # 50,000 m² → 2,500 m² of shelter at 5 %
        "below_ground_area": 3_000_000,
        "phase": "PLANNING",
    }
    return Answers(**{**base, **changes})


def test_the_shipped_rules_are_a_labelled_sample_with_a_version():
    assert RULES.version == "sample-v1" and RULES.sample and "SAMPLE" in RULES.notice
    assert RULES.effective_from == date(2026, 12, 3)


def test_a_basement_that_holds_the_required_area_means_the_shelter_is_built_and_no_fee():
    decision = guide.decide(RULES, answers())
    assert decision.outcome == "build" and not decision.fee_applies
    assert decision.required_shelter_area == decision.on_site_area == 250_000


def test_a_basement_smaller_than_the_required_area_builds_what_it_holds_and_pays_the_rest():
    decision = guide.decide(RULES, answers(below_ground_area=100_000))
    assert decision.outcome == "build_and_fee" and decision.fee_applies
    assert (decision.required_shelter_area, decision.on_site_area) == (250_000, 100_000)


def test_below_the_on_site_minimum_or_without_a_basement_the_whole_area_is_paid_as_the_fee():
    # 19,999 m² above ground → 999.95 m², just under the sample's 1,000 m² minimum
    small = guide.decide(RULES, answers(above_ground_area=1_999_900))
    assert small.outcome == "fee" and small.on_site_area == 0 and small.required_shelter_area == 99_995
    at_minimum = guide.decide(RULES, answers(above_ground_area=2_000_000))
    assert at_minimum.outcome == "build" and at_minimum.on_site_area == 100_000
    assert guide.decide(RULES, answers(below_ground_area=0)).outcome == "fee"
    assert guide.decide(RULES, answers(building_type="LOW_RISE")).outcome == "fee"


def test_a_land_use_with_no_ratio_needs_neither_shelter_nor_fee():
    decision = guide.decide(RULES, answers(land_use="INDUSTRIAL"))
    assert decision.outcome == "none" and decision.required_shelter_area == 0
    assert guide.steps(RULES, answers(land_use="INDUSTRIAL"), decision) == []
    assert guide.checklist(RULES, decision, []) == []


def test_the_estimate_is_the_estimators_on_the_decided_areas(session):
    decision = guide.decide(RULES, answers(below_ground_area=100_000))
    estimate = fees.estimate_fee(
        session,
        district="410105",
        required_shelter_area=decision.required_shelter_area,
        built_shelter_area=decision.on_site_area,
    )
    # 1,500 m² off site × the sample's 2,000 yuan/m² for 金水区
    assert estimate.shortfall_area == 150_000 and estimate.amount_fen == 300_000_000
    assert estimate.rate_table_version >= 1


def test_reductions_that_may_apply_follow_the_land_use_and_only_when_a_fee_applies():
    affordable = answers(land_use="AFFORDABLE_HOUSING", below_ground_area=0)
    assert guide.decide(RULES, affordable).reasons == ["AFFORDABLE_HOUSING"]
    assert guide.decide(RULES, answers(land_use="AFFORDABLE_HOUSING")).reasons == []  # built: no fee to reduce
    assert guide.decide(RULES, answers(land_use="EDUCATION", below_ground_area=0)).reasons == ["SCHOOL"]


def test_the_checklist_marks_what_the_approval_system_holds_and_asks_for_the_rest():
    decision = guide.decide(RULES, answers(below_ground_area=100_000))
    permit = MaterialOnFile("PLANNING_PERMIT", "建字第4101052026000123号", date(2026, 3, 1))
    items = {item.code: item for item in guide.checklist(RULES, decision, [permit])}
    assert items["PLANNING_PERMIT"].on_file == permit
    assert items["LAND_USE_PERMIT"].on_file is None and items["OFF_SITE_APPLICATION"].on_file is None
    assert "REDUCTION_PROOF" not in items  # no reduction may apply to plain housing


def test_steps_before_the_projects_phase_are_marked_behind():
    decision = guide.decide(RULES, answers(below_ground_area=0))
    listed = guide.steps(RULES, answers(below_ground_area=0, phase="CONSTRUCTION"), decision)
    assert [s.behind for s in listed] == [True, False, False]
    assert "缴纳易地建设费" in listed[1].text


def test_answers_outside_the_choices_are_named_by_field():
    wrong = answers(district="110105", land_use="MOON_BASE", phase="")
    assert guide.invalid_answers(RULES, wrong) == {
        "district": "请从列表中选择",
        "land_use": "请从列表中选择",
        "phase": "请从列表中选择",
    }


@pytest.mark.parametrize(
    ("breakage", "field"),
    [
        (lambda d: d["land_uses"]["RESIDENTIAL"].update(ratio_bps=12_000), "land_uses.RESIDENTIAL.ratio_bps"),
        (lambda d: d["land_uses"]["RESIDENTIAL"].update(reasons=["FRIENDS"]), "land_uses.RESIDENTIAL.reasons"),
        (lambda d: d["steps"][0].update(phase="LATER"), "steps.0.phase"),
        (lambda d: d["materials"][0].update(outcomes=["maybe"]), "materials.0.outcomes.0"),
        (lambda d: d.pop("min_on_site_area"), "min_on_site_area"),
    ],
)
def test_a_rules_file_with_a_bad_rule_is_refused_at_load_naming_the_field(tmp_path, monkeypatch, breakage, field):
    data = json.loads((guide.DATA / "guide.sample-v1.json").read_text(encoding="utf-8"))
    breakage(data)
    (tmp_path / "guide.broken.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(guide, "DATA", tmp_path)
    with pytest.raises(ValidationError) as refused:
        guide.load_guide_rules.__wrapped__("broken")
    assert field in str(refused.value)
