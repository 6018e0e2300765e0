"""The pure credit function: credit events and a rule set → score, grade and each event's
contribution. No SQL, no chain: the same events and rule set give the same answer anywhere.

"As of" a moment means what the chain held then: the events whose block time is at or before
it (an event whose block time is unknown is left out of an as-of answer).

Under a rule set with the evidence-timing rule (`RuleSet.voids_predated_marks`, see
ledger.domain.credit.rules), each fulfilment is followed by one `overdue_mark_voided` event per
earlier overdue mark of its commitment whose block time is after the fulfilment's fact time; the
derived event carries the fulfilment's fact time and proof (the fact that shows the mark premature).
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from ledger.domain.credit.rules import VOIDED_MARK, DerivedKind, EventKind, RuleSet

COUNTERS_IMPORTED: Final = "counters_imported"  # an earlier contract version's counters, carried over
FULFILMENTS: Final = ("fulfilled_on_time", "fulfilled_late")


@dataclass(frozen=True)
class CreditEventProof:
    """Where a credit event is on chain, as the pure function needs it: its order and its block's time."""

    chain_id: int
    block_number: int
    log_index: int
    block_hash: str
    transaction_hash: str
    block_time: int | None  # unix seconds of the block; None if the read model has not got it


@dataclass(frozen=True)
class CreditEvent:
    """One fact on chain that counts for an enterprise's credit."""

    kind: EventKind | DerivedKind | Literal["counters_imported"]  # a rule set's event kind, or COUNTERS_IMPORTED
    enterprise: str  # HMAC-SHA256(pepper, USCC), 0x-hex
    proof: CreditEventProof
    commitment: str | None = None  # the commitment's on-chain key
    project: str | None = None  # the project's on-chain key
    fact_at: int | None = None  # when the fact happened, as attested on chain (fulfilment, repair, payment)
    counts: dict[EventKind, int] = field(default_factory=dict)  # COUNTERS_IMPORTED: how many of each kind

    @property
    def order(self) -> tuple[int, int]:
        return self.proof.block_number, self.proof.log_index


@dataclass(frozen=True)
class ScoredEvent:
    event: CreditEvent
    contribution: int
    score_after: int


@dataclass(frozen=True)
class CreditScore:
    rule_set: str  # the version of the rules that produced this answer
    as_of: int | None  # unix seconds; None: everything indexed
    start: int
    score: int
    grade: str
    events: list[ScoredEvent]


def contribution(event: CreditEvent, rules: RuleSet) -> int:
    if event.kind == COUNTERS_IMPORTED:
        return sum(rules.weights[kind] * count for kind, count in event.counts.items())
    return rules.weights[event.kind]


def score_events(events: Iterable[CreditEvent], rules: RuleSet, *, as_of: int | None = None) -> CreditScore:
    """Score events in chain order; with `as_of`, only those in blocks at or before it."""
    if as_of is not None:
        events = [e for e in events if e.proof.block_time is not None and e.proof.block_time <= as_of]
    score, scored = rules.start, []
    for event in with_voided_marks(sorted(events, key=lambda e: e.order), rules):
        points = contribution(event, rules)
        score += points
        scored.append(ScoredEvent(event, points, score))
    return CreditScore(
        rule_set=rules.version, as_of=as_of, start=rules.start, score=score, grade=rules.grade(score), events=scored
    )


def is_weighed(event: CreditEvent, rules: RuleSet) -> bool:
    """The rule set has a weight for the event's kind (a false commitment has none before sample-v3)."""
    return event.kind == COUNTERS_IMPORTED or event.kind in rules.weights


def with_voided_marks(
    events: Iterable[CreditEvent], rules: RuleSet, *, unweighed: bool = False
) -> Iterator[CreditEvent]:
    """The events (in chain order) the rule set weighs, each fulfilment followed by the overdue
    marks of its commitment it predates, as `overdue_mark_voided` events, where the rule set has
    that rule. Events of a kind the rule set does not weigh (a false commitment under a version
    before it) are left out, so a record scored under an earlier version scores as it did; with
    `unweighed` they are kept (the credit platform gets every fact on chain, ledger.domain.credit_export)."""
    marks: dict[str, list[int]] = defaultdict(list)  # commitment → block times of its marks so far
    for event in events:
        if not unweighed and not is_weighed(event, rules):
            continue
        yield event
        if not rules.voids_predated_marks or event.commitment is None:
            continue
        if event.kind == "marked_overdue" and event.proof.block_time is not None:
            marks[event.commitment].append(event.proof.block_time)
        elif event.kind in FULFILMENTS and event.fact_at is not None:
            fulfilled_at = event.fact_at
            for marked_at in marks.pop(event.commitment, []):
                if fulfilled_at < marked_at:
                    yield replace(event, kind=VOIDED_MARK)
