"""Credit rule sets as data: one JSON file per version in `data/`, validated on load.

A rule set names the weight of each kind of credit event, the starting score and the grade
thresholds. The score is `start + Σ weights` (no floor or ceiling, so every point of a score
is explained by one event). The shipped `sample-v1` is a clearly labelled sample (DESIGN.md §3):
start 100; fulfilled on time +1; fulfilled late −3; overdue −5; breached −20; repaired +10
(half of the breach penalty back); a late fee payment −2; A ≥ 90, B ≥ 75, C ≥ 60, else D.
`sample-v2` (in force from 2026-12-03) adds the evidence-timing rule: an overdue mark that the
commitment's own fulfilment predates is given back when that fulfilment reaches the chain
(`overdue_mark_voided`, exactly the mark's weight back). Past records scored under `sample-v1`
score as they did: every version stays loadable, and an answer names the version it used.

`sample-v3` (the rule set in force, DEFAULT_VERSION) adds the false commitment (不实承诺, issue 17):
a random inspection that found a commitment false is a credit event of its own (−30), at the
InspectionRecorded event, with its proof. The earlier versions stay loadable by name.

Evidence timing (issue 17). A mark says "no evidence had come by now"; a fulfilment whose fact
time (the evidence's submission, else the fulfilment's own) is before the mark's block time says
it had. Had that fact reached the chain in time, pending evidence would have stopped the overdue
clock and there would be no mark, so the mark is offset — by a credit event of its own at the
fulfilment, not by erasing it: the record stays append-only, the mark and its proof stay visible,
and the record as of any moment between the mark and the fulfilment still shows what the chain
held then. The fulfilment itself is judged as ever: evidence dated after the due date is late.
"""

from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

DATA = Path(__file__).resolve().parent / "data"
DEFAULT_VERSION = "sample-v3"  # in force: every answer without a version is scored by it

EventKind = Literal["fulfilled_on_time", "fulfilled_late", "marked_overdue", "breached", "repaired", "late_fee_payment"]
EVENT_KINDS: tuple[str, ...] = get_args(EventKind)
# Credit events the scorer derives from the chain's events, each only under a rule set that
# weighs it (a rule set without the weight does not have the rule).
DerivedKind = Literal["overdue_mark_voided", "false_commitment"]
VOIDED_MARK: DerivedKind = "overdue_mark_voided"
# A random inspection (双随机、一公开) found the commitment false (不实承诺): InspectionRecorded on
# InspectionDraws. Weighed from sample-v3 on; earlier versions, without the weight, leave it out.
FALSE_COMMITMENT: DerivedKind = "false_commitment"


class RuleSet(BaseModel):
    """One version of the credit rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    label: str
    effective_from: date
    start: int
    weights: dict[EventKind | DerivedKind, int]
    grades: list[tuple[str, int]]  # (grade, lowest score), best first
    lowest_grade: str
    notes: dict[EventKind | DerivedKind, str]

    @model_validator(mode="after")
    def _complete_and_ordered(self) -> "RuleSet":
        if missing := set(EVENT_KINDS) - set(self.weights):
            raise ValueError(f"weights: every credit event kind needs a weight; missing {sorted(missing)}")
        voided = self.weights.get(VOIDED_MARK)
        if voided is not None and voided != -self.weights["marked_overdue"]:
            raise ValueError(
                f"weights: {VOIDED_MARK} must give back exactly the weight of marked_overdue "
                f"({-self.weights['marked_overdue']}), so a mark the evidence predates costs nothing"
            )
        floors = [floor for _, floor in self.grades]
        if floors != sorted(floors, reverse=True) or len(set(floors)) != len(floors):
            raise ValueError("grades: thresholds must be strictly decreasing, best grade first")
        return self

    def grade(self, score: int) -> str:
        return next((grade for grade, floor in self.grades if score >= floor), self.lowest_grade)

    def score_range(self, grade: str) -> tuple[int | None, int | None]:
        """[lowest, highest) scores of a grade; None for an open end."""
        names = [name for name, _ in self.grades]
        if grade == self.lowest_grade:
            return None, self.grades[-1][1]
        index = names.index(grade)
        return self.grades[index][1], (self.grades[index - 1][1] if index else None)

    @property
    def voids_predated_marks(self) -> bool:
        """The evidence-timing rule: a fulfilment dated before an overdue mark gives the mark back."""
        return VOIDED_MARK in self.weights

    @property
    def weighs_false_commitments(self) -> bool:
        return FALSE_COMMITMENT in self.weights

    @property
    def grade_names(self) -> list[str]:
        return [name for name, _ in self.grades] + [self.lowest_grade]


@cache
def load_rule_set(version: str = DEFAULT_VERSION) -> RuleSet:
    """The rule set of `version` from `data/rules.<version>.json`."""
    path = DATA / f"rules.{version}.json"
    if not path.is_file():
        raise KeyError(f"no credit rule set {version!r} (known: {', '.join(available_versions())})")
    return RuleSet.model_validate_json(path.read_text(encoding="utf-8"))


def available_versions() -> list[str]:
    return sorted(p.name[len("rules.") : -len(".json")] for p in DATA.glob("rules.*.json"))
