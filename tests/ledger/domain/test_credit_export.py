"""The credit events bulk export (issue 17 item 4): every credit event the chain recorded in a
half-open block-time range, with its USCC, rule-set version and proof; JSON Lines valid under the
JSON Schema the integrator docs publish, and CSV with the same fields."""

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from ledger.db.read_model import EnterpriseCountersImport
from ledger.domain import projects
from ledger.domain.common import read_model_chain_id
from ledger.domain.credit.rules import load_rule_set
from ledger.domain.credit_export import CSV_COLUMNS, as_csv, as_json_lines, credit_event_export
from ledger.domain.errors import ValidationFailed
from ledger.domain.schemas.credit import CreditEventExport
from tests.support.credit_history import (
    BLOCK_TIMES,
    DAY,
    DUE,
    ENTERPRISE,
    INSPECTED,
    MARKED,
    commitment_key,
    plant_credit_history,
    plant_false_commitment,
)
from tests.support.samples import make_uscc, project

SCHEMA = json.loads((Path(__file__).parents[3] / "docs/integrators/credit-event.schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
BEGINNING, END = DUE - 31 * DAY, MARKED + 3 * DAY


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def export(session, since: int, until: int) -> list[CreditEventExport]:
    return credit_event_export(session, since=at(since), until=at(until))


@pytest.fixture
def history(session):
    """The planted history (tests.support.credit_history), its enterprise known by USCC (project 1's
    builder), and its counters from an earlier version carried over in block 10."""
    projects.register_project(session, project=project(1), client="approval")
    plant_credit_history(session)
    counts = dict(recorded=4, fulfilled=3, fulfilled_late=1, overdue=1, breached=1, repaired=0)
    session.add(
        EnterpriseCountersImport(
            chain_id=read_model_chain_id(session),
            block_number=10,
            log_index=9,
            block_hash=f"0x{10:064x}",
            transaction_hash=f"0x{1010:064x}",
            enterprise=ENTERPRISE,
            **counts,
        )
    )
    session.commit()
    return session


def test_the_export_holds_every_credit_event_recorded_in_the_range_in_chain_order_with_its_uscc_and_proof(history):
    records = export(history, MARKED, MARKED + 3 * DAY)
    assert [
        (r.kind, r.commitment_key and r.commitment_key[:4], r.contribution, r.proof.block_number) for r in records
    ] == [
        ("marked_overdue", "0xaa", -5, 11),
        ("marked_overdue", "0xbb", -5, 12),
        ("fulfilled_on_time", "0xaa", 1, 13),
        ("overdue_mark_voided", "0xaa", 5, 13),
        ("fulfilled_late", "0xbb", -3, 14),
        ("fulfilled_on_time", "0xcc", 1, 15),
    ]
    for r in records:
        assert (r.enterprise_key, r.uscc, r.rule_set) == (ENTERPRISE, make_uscc(1), "sample-v3")
        assert r.recorded_at == at(BLOCK_TIMES[r.proof.block_number])
        assert r.proof.transaction_hash == f"0x{r.proof.block_number + 1000:064x}"
    assert records[2].fact_at == at(DUE - 3_600)  # the evidence's own date


def test_consecutive_ranges_export_every_event_exactly_once_the_end_of_a_range_being_left_to_the_next(history):
    whole = export(history, BEGINNING, END)
    first, second = export(history, BEGINNING, MARKED + DAY), export(history, MARKED + DAY, END)
    assert first + second == whole and len(whole) == 7
    assert {r.proof.block_number for r in first} == {10, 11, 12}  # block 13 is at MARKED + DAY exactly


def test_a_fulfilment_exported_without_the_mark_it_predates_still_carries_the_marks_offset(history):
    records = export(history, MARKED + DAY, MARKED + DAY + 1)
    assert [(r.kind, r.commitment_key and r.commitment_key[:4]) for r in records] == [
        ("fulfilled_on_time", "0xaa"),
        ("overdue_mark_voided", "0xaa"),
        ("fulfilled_late", "0xbb"),
    ]


@pytest.mark.parametrize("version, contribution", [("sample-v3", -30), ("sample-v2", 0), ("sample-v1", 0)])
def test_a_false_commitment_is_exported_whatever_its_weight_in_the_rule_set(history, version, contribution):
    """Every fact on chain goes to the credit platform: under a rule set without the weight (before
    sample-v3) the false commitment is still exported, contributing 0; the rule set in force weighs it."""
    plant_false_commitment(history)
    history.commit()
    records = credit_event_export(history, since=at(BEGINNING), until=at(END + 2 * DAY), rules=load_rule_set(version))
    (found,) = [r for r in records if r.kind == "false_commitment"]
    assert (found.commitment_key, found.contribution, found.rule_set) == (commitment_key("c"), contribution, version)
    assert found.proof.block_number == INSPECTED and found.uscc == make_uscc(1)
    assert [e.message for e in VALIDATOR.iter_errors(found.model_dump(mode="json"))] == []
    by_default = export(history, BEGINNING, END + 2 * DAY)
    assert [(r.kind, r.contribution, r.rule_set) for r in by_default if r.kind == "false_commitment"] == [
        ("false_commitment", -30, "sample-v3")
    ]


def test_every_json_line_is_valid_under_the_published_schema_and_the_csv_carries_the_same_fields(history):
    assert set(SCHEMA["properties"]) == set(SCHEMA["required"]) == set(CreditEventExport.model_fields)
    records = export(history, BEGINNING, END)
    assert records[0].kind == "counters_imported" and records[0].counts == {
        "fulfilled_on_time": 2,
        "fulfilled_late": 1,
        "marked_overdue": 1,
        "breached": 1,
        "repaired": 0,
    }
    lines = list(as_json_lines(records))
    assert len(lines) == len(records) and all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    for line in lines:
        assert [e.message for e in VALIDATOR.iter_errors(json.loads(line))] == []
    rows = list(csv.DictReader(io.StringIO("".join(as_csv(records)))))
    assert list(rows[0]) == list(CSV_COLUMNS) and len(rows) == len(records)
    assert json.loads(rows[0]["counts"]) == records[0].counts and rows[0]["commitment_key"] == ""
    voided = next(row for row in rows if row["kind"] == "overdue_mark_voided")
    assert (voided["contribution"], voided["block_number"], voided["uscc"]) == ("5", "13", make_uscc(1))


def test_a_record_the_schema_does_not_describe_is_refused_by_it():
    record = json.loads(next(as_json_lines([CreditEventExport.model_validate(EXAMPLE)])))
    assert not list(VALIDATOR.iter_errors(record))
    for broken in ({"kind": "forgiven"}, {"recorded_at": "yesterday"}, {"uscc": "123"}, {"extra": 1}):
        assert list(VALIDATOR.iter_errors(record | broken)), broken


@pytest.mark.parametrize(
    "since, until, rule",
    [(MARKED, MARKED, "after_since"), (MARKED, DUE, "after_since"), (DUE, DUE + 367 * DAY, "longest_range")],
)
def test_a_range_that_does_not_end_after_it_starts_or_spans_more_than_366_days_is_refused(history, since, until, rule):
    with pytest.raises(ValidationFailed) as refused:
        export(history, since, until)
    assert (refused.value.field, refused.value.rule) == ("until", rule)


EXAMPLE = {
    "enterprise_key": ENTERPRISE,
    "uscc": make_uscc(1),
    "kind": "fulfilled_late",
    "contribution": -3,
    "rule_set": "sample-v2",
    "recorded_at": "2027-07-08T02:00:00Z",
    "fact_at": None,
    "commitment_key": "0x" + "c0" * 32,
    "commitment_number": None,
    "project_key": None,
    "project_code": None,
    "counts": None,
    "proof": {
        "chain_id": 1,
        "block_number": 2,
        "block_hash": "0x" + "cd" * 32,
        "transaction_hash": "0x" + "ef" * 32,
        "log_index": 0,
    },
}
