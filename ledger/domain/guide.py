"""The declaration guide (智能申报指引): a project's answers → whether the shelter must be built on site
or the off-site fee applies, the reductions that may apply, the steps and the checklist of materials.

Pure: no database, no network. The rules are data with a version (`data/guide.<version>.json`,
validated on load like the credit rules); the fee itself is the estimator's (ledger.domain.fees.
estimate_fee, on the areas `decide` returns), and what the approval system already holds for the
project comes in as `MaterialOnFile`s, so the checklist asks for nothing twice.

The sample rules (DESIGN.md §3, sample policy): required shelter area = above-ground area × the
land use's ratio; the shelter is built in the basement where the building type allows one and the
required area reaches the on-site minimum; what the basement cannot hold is paid as the fee.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ledger.core.identifiers import DISTRICTS
from ledger.domain.rates import reduction_policy

DATA = Path(__file__).resolve().parent / "data"
DEFAULT_VERSION = "sample-v1"

# none: no shelter and no fee; build: the basement holds it all; fee: all off site;
# build_and_fee: the basement holds part, the rest is paid.
Outcome = Literal["none", "build", "fee", "build_and_fee"]
Payable = Literal["build", "fee", "build_and_fee"]


class LandUse(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    label: str
    ratio_bps: int = Field(ge=0, le=10_000)  # required shelter area per above-ground area, in 1/10,000
    reasons: list[str]  # reduction-policy reason codes that may apply


class BuildingType(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    label: str
    on_site: bool  # can hold a shelter in its basement


class Phase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    label: str
    order: int = Field(ge=1)


class Step(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    phase: str
    outcomes: list[Payable] = Field(min_length=1)
    text: str


class Material(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    label: str
    outcomes: list[Payable] = Field(min_length=1)
    only_with_reductions: bool = False


class GuideRules(BaseModel):
    """One version of the guide's rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    sample: bool
    notice: str
    label: str
    effective_from: date
    min_on_site_area: int = Field(ge=0)  # 0.01 m²: below it the whole required area goes off site
    land_uses: dict[str, LandUse] = Field(min_length=1)
    building_types: dict[str, BuildingType] = Field(min_length=1)
    phases: dict[str, Phase] = Field(min_length=1)
    steps: list[Step]
    materials: list[Material]

    @model_validator(mode="after")
    def _references_resolve(self) -> "GuideRules":
        policy = reduction_policy()["reasons"]
        for code, land_use in self.land_uses.items():
            if unknown := sorted(set(land_use.reasons) - set(policy)):
                raise ValueError(f"land_uses.{code}.reasons: not reduction-policy reasons: {unknown}")
        for index, step in enumerate(self.steps):
            if step.phase not in self.phases:
                raise ValueError(f"steps.{index}.phase: {step.phase!r} is not one of the phases {sorted(self.phases)}")
        codes = [m.code for m in self.materials]
        if len(set(codes)) != len(codes):
            raise ValueError("materials: every material code must be unique")
        return self


@cache
def load_guide_rules(version: str = DEFAULT_VERSION) -> GuideRules:
    """The guide's rules of `version` from `data/guide.<version>.json` (a bad file is refused, naming the field)."""
    path = DATA / f"guide.{version}.json"
    if not path.is_file():
        raise KeyError(f"no guide rules {version!r}")
    return GuideRules.model_validate_json(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Answers:
    district: str
    land_use: str
    building_type: str
    above_ground_area: int  # 0.01 m²
    below_ground_area: int  # 0.01 m²
    phase: str


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    required_shelter_area: int  # 0.01 m²
    on_site_area: int  # what the basement holds: the estimator's "built" area
    reasons: list[str]  # reduction-policy reason codes that may apply

    @property
    def fee_applies(self) -> bool:
        return self.outcome in ("fee", "build_and_fee")


@dataclass(frozen=True)
class MaterialOnFile:
    """A licence or an earlier result the approval system already holds for the project."""

    code: str
    number: str
    issued_on: date


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    label: str
    on_file: MaterialOnFile | None  # None: to be provided


@dataclass(frozen=True)
class GuideStep:
    phase_label: str
    text: str
    behind: bool  # its phase is before the project's: done already, or overdue


def invalid_answers(rules: GuideRules, answers: Answers) -> dict[str, str]:
    """Each answer outside the rules' choices, by field."""
    choices: dict[str, Collection[str]] = {
        "district": DISTRICTS.keys(),
        "land_use": rules.land_uses.keys(),
        "building_type": rules.building_types.keys(),
        "phase": rules.phases.keys(),
    }
    return {field: "请从列表中选择" for field, allowed in choices.items() if getattr(answers, field) not in allowed}


def decide(rules: GuideRules, answers: Answers) -> Decision:
    """Shelter, fee or both: the areas the estimator takes, and the reductions that may apply."""
    land_use = rules.land_uses[answers.land_use]
    required = (answers.above_ground_area * land_use.ratio_bps + 5_000) // 10_000
    on_site_possible = rules.building_types[answers.building_type].on_site and required >= rules.min_on_site_area
    on_site = min(required, answers.below_ground_area) if on_site_possible else 0
    if required == 0:
        outcome: Outcome = "none"
    elif on_site == required:
        outcome = "build"
    elif on_site == 0:
        outcome = "fee"
    else:
        outcome = "build_and_fee"
    reasons = list(land_use.reasons) if outcome in ("fee", "build_and_fee") else []
    return Decision(outcome=outcome, required_shelter_area=required, on_site_area=on_site, reasons=reasons)


def steps(rules: GuideRules, answers: Answers, decision: Decision) -> list[GuideStep]:
    now = rules.phases[answers.phase].order
    return [
        GuideStep(rules.phases[s.phase].label, s.text, behind=rules.phases[s.phase].order < now)
        for s in rules.steps
        if decision.outcome in s.outcomes
    ]


def checklist(rules: GuideRules, decision: Decision, on_file: list[MaterialOnFile]) -> list[ChecklistItem]:
    """The materials the outcome needs, each with what the approval system holds (then nothing to upload)."""
    held = {m.code: m for m in on_file}
    return [
        ChecklistItem(m.code, m.label, held.get(m.code))
        for m in rules.materials
        if decision.outcome in m.outcomes and (decision.reasons or not m.only_with_reductions)
    ]
