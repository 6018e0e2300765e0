"""The false commitment (不实承诺, issue 17): a random inspection's outcome false_commitment is a
credit event of its own under sample-v3 (−30, at the InspectionRecorded event, with its proof),
summed in SQL for the list as the record adds it up; sample-v1 and v2 score as they always did. Only
an outcome for a commitment its draw selected counts (the selection recomputed from the seed and the
published pools, kept in inspection_selections): the contract cannot check selection."""

import pytest

from ledger.db.read_model import InspectionOutcome
from ledger.domain.common import read_model_chain_id
from ledger.domain.credit.rules import load_rule_set
from ledger.domain.credit_records import credit_record, list_enterprises
from tests.support.credit_history import (
    DRAW,
    ENTERPRISE,
    INSPECTED,
    commitment_key,
    plant_credit_history,
    plant_false_commitment,
)


@pytest.fixture
def history(session):
    """The planted history, and commitment C (fulfilled in time) found false by an inspection."""
    plant_credit_history(session)
    plant_false_commitment(session)
    session.commit()
    return session


def test_a_false_commitment_costs_its_weight_at_the_inspection_with_its_proof_under_sample_v3(history):
    record = credit_record(history, enterprise=ENTERPRISE, rules=load_rule_set("sample-v3"))
    last = record.events[-1]
    assert (last.kind, last.commitment_key, last.contribution) == ("false_commitment", commitment_key("c"), -30)
    assert last.proof.block_number == INSPECTED and last.proof.block_time is not None
    assert record.score == 94 - 30 and record.rule_set == "sample-v3"


@pytest.mark.parametrize("version, score", [("sample-v3", 64), ("sample-v2", 94), ("sample-v1", 89)])
def test_the_listed_score_equals_the_record_and_earlier_rule_sets_leave_the_false_commitment_out(
    history, version, score
):
    rules = load_rule_set(version)
    (listed,) = list_enterprises(history, rules=rules).items
    record = credit_record(history, enterprise=ENTERPRISE, rules=rules)
    assert listed.score == record.score == score
    assert listed.counts.get("false_commitment") == (1 if version == "sample-v3" else None)
    assert ("false_commitment" in [e.kind for e in record.events]) == (version == "sample-v3")


def test_sample_v3_is_sample_v2_plus_the_false_commitment_and_is_the_rule_set_in_force():
    v2, v3 = load_rule_set("sample-v2"), load_rule_set("sample-v3")
    assert v3.weights == {**v2.weights, "false_commitment": -30}
    assert v3.grades == v2.grades and v3.start == v2.start and "SAMPLE" in v3.label
    assert load_rule_set() == v3


def test_the_record_and_the_list_without_a_named_rule_set_count_the_false_commitment(history):
    record = credit_record(history, enterprise=ENTERPRISE)
    (listed,) = list_enterprises(history).items
    assert (record.rule_set, record.score, listed.score) == ("sample-v3", 64, 64)
    assert [e.kind for e in record.events].count("false_commitment") == listed.counts["false_commitment"] == 1


def test_an_outcome_for_a_commitment_the_draw_did_not_select_is_not_scored(history):
    chain = read_model_chain_id(history)
    history.add(
        InspectionOutcome(  # forced on chain for commitment A, which the draw did not select
            chain_id=chain,
            block_number=INSPECTED,
            log_index=1,
            block_hash=f"0x{INSPECTED:064x}",
            transaction_hash=f"0x{INSPECTED + 2000:064x}",
            draw=DRAW,
            commitment=commitment_key("a"),
            outcome="false_commitment",
            document_hash="0x" + "0d" * 32,
        )
    )
    history.commit()
    rules = load_rule_set("sample-v3")
    record = credit_record(history, enterprise=ENTERPRISE, rules=rules)
    (listed,) = list_enterprises(history, rules=rules).items
    assert [e.commitment_key for e in record.events if e.kind == "false_commitment"] == [commitment_key("c")]
    assert record.score == listed.score == 94 - 30 and listed.counts["false_commitment"] == 1
