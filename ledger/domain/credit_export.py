"""The credit events bulk export for the credit platform's batch intake (信用平台批量归集): every
credit event the chain recorded in a date range, each with its enterprise (USCC where known), kind,
dates, contribution under the rule set in force (named in every record) and on-chain proof; as
JSON Lines or CSV. Record format: docs/integrators/credit-export.md, with its JSON Schema.

Every fact on chain goes out whatever its weight: an event of a kind the rule set does not weigh (a
false commitment under a version before sample-v3) is exported with contribution 0, so the platform,
which weighs by its own rules, never misses one because of ours.

The range is by block time — when the chain recorded the event — and half-open, [since, until):
consecutive ranges export every event exactly once, and a fact written late (an old `fact_at`) goes
with the range in which it reached the chain, so an intake that pulls day after day misses nothing.
"""

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from sqlmodel import col

from ledger.db.write_model import CommitmentRecord, Enterprise, Project
from ledger.domain.common import from_unix, names_of, read_model_chain_id, unix
from ledger.domain.credit.record import credit_events_recorded_between
from ledger.domain.credit.rules import RuleSet, load_rule_set
from ledger.domain.credit.score import CreditEvent, contribution, is_weighed, with_voided_marks
from ledger.domain.errors import ValidationFailed
from ledger.domain.schemas.common import Proof
from ledger.domain.schemas.credit import CreditEventExport

LONGEST_RANGE = timedelta(days=366)
NAMES_PER_QUERY = 1_000  # keys per IN list: well under SQLite's bound on parameters
PROOF_COLUMNS = ("chain_id", "block_number", "log_index", "block_hash", "transaction_hash")
CSV_COLUMNS = tuple(name for name in CreditEventExport.model_fields if name != "proof") + PROOF_COLUMNS


def credit_event_export(
    session: Session, *, since: datetime, until: datetime, rules: RuleSet | None = None
) -> list[CreditEventExport]:
    """Every credit event recorded on chain in [since, until), in chain order, weighed by `rules`
    (the rule set in force by default)."""
    if until <= since:
        raise ValidationFailed("until must be after since", field="until", rule="after_since")
    if until - since > LONGEST_RANGE:
        raise ValidationFailed(
            f"a range spans at most {LONGEST_RANGE.days} days; export a longer period range by range",
            field="until",
            rule="longest_range",
        )
    rules = rules or load_rule_set()
    chain_id = read_model_chain_id(session)
    if chain_id is None:
        return []
    start, end = unix(since), unix(until)
    found = credit_events_recorded_between(session, chain_id=chain_id, since=start, until=end)
    weighed = [
        (event, contribution(event, rules) if is_weighed(event, rules) else 0)
        for event in _with_voided_marks(found, rules)
        if event.proof.block_time is not None and start <= event.proof.block_time < end
    ]
    return _records(session, weighed, rules)


def _with_voided_marks(events: list[CreditEvent], rules: RuleSet) -> list[CreditEvent]:
    """Each enterprise's events (also those the rule set does not weigh) with the marks its fulfilments
    give back, all in chain order."""
    by_enterprise: dict[str, list[CreditEvent]] = defaultdict(list)
    for event in events:
        by_enterprise[event.enterprise].append(event)
    derived = [
        event
        for own in by_enterprise.values()
        for event in with_voided_marks(sorted(own, key=lambda e: e.order), rules, unweighed=True)
    ]
    return sorted(derived, key=lambda e: e.order)  # stable: a voided mark stays after its fulfilment


def _records(session: Session, weighed: list[tuple[CreditEvent, int]], rules: RuleSet) -> list[CreditEventExport]:
    events = [event for event, _ in weighed]
    numbers = _names(session, CommitmentRecord.commitment_key, CommitmentRecord.commitment_number, events, "commitment")
    codes = _names(session, Project.project_key, Project.project_code, events, "project")
    usccs = _names(session, Enterprise.enterprise_key, Enterprise.uscc, events, "enterprise")
    return [
        CreditEventExport(
            enterprise_key=event.enterprise,
            uscc=usccs.get(event.enterprise),
            kind=event.kind,
            contribution=points,
            rule_set=rules.version,
            recorded_at=from_unix(event.proof.block_time),
            fact_at=from_unix(event.fact_at),
            commitment_key=event.commitment,
            commitment_number=numbers.get(event.commitment) if event.commitment else None,
            project_key=event.project,
            project_code=codes.get(event.project) if event.project else None,
            counts=event.counts or None,
            proof=Proof(**{name: getattr(event.proof, name) for name in PROOF_COLUMNS}),
        )
        for event, points in weighed
    ]


def _names(session: Session, key_column, name_column, events: list[CreditEvent], attribute: str) -> dict[str, str]:
    """Write-model names of the events' on-chain keys (`attribute` of each event), a chunk of keys at a time."""
    keys = sorted({key for e in events if (key := getattr(e, attribute))})
    names: dict[str, str] = {}
    for at in range(0, len(keys), NAMES_PER_QUERY):
        names |= names_of(session, col(key_column), col(name_column), keys[at : at + NAMES_PER_QUERY])
    return names


def as_json_lines(records: Iterable[CreditEventExport]) -> Iterator[str]:
    """One JSON object per line (JSON Lines), as the JSON Schema describes it."""
    for record in records:
        yield record.model_dump_json() + "\n"


def as_csv(records: Iterable[CreditEventExport]) -> Iterator[str]:
    """A header of the field names, then one row per record: the proof's fields as columns of their
    own, `counts` as a JSON object, a missing value as an empty cell, times in ISO 8601 UTC."""
    yield _csv_line(CSV_COLUMNS)
    for record in records:
        row = record.model_dump(mode="json")
        row |= row.pop("proof")
        if row["counts"] is not None:
            row["counts"] = json.dumps(row["counts"], separators=(",", ":"))
        yield _csv_line(["" if row[name] is None else row[name] for name in CSV_COLUMNS])


def _csv_line(values: Iterable[object]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values)
    return out.getvalue()
