"""Gas ceilings from DESIGN.md §9 (gas is deterministic, so these are exact checks, not timings)."""

import pytest

from ledger.core.identifiers import reference_key
from tests.contracts.helpers import assess, pay, project, send_at

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


def test_a_single_payment_costs_at_most_60000_gas(chain):
    assess(chain, project(), 10_000)
    assert pay(chain, project(), "V-1", 123_456)["gasUsed"] <= 60_000


def test_a_batch_of_100_payments_to_100_projects_costs_at_most_35000_gas_per_record(chain):
    for n in range(100):
        assess(chain, project(n), 10_000)
    now = chain.now()
    batch = [(project(n), reference_key(f"V-{n}"), 123_456, now) for n in range(100)]
    receipt = send_at(chain, "TAX_ROLE", chain.fee.functions.recordPayments(batch))
    assert receipt["gasUsed"] / 100 <= 35_000


def test_a_draw_costs_at_most_130000_gas_to_commit_65000_to_reveal_and_70000_per_outcome(chain):
    draw, doc = reference_key("DRAW-1"), reference_key("document")
    commit = chain.draws.functions.commitDraw(draw, doc, 500, doc, 20, 25, 4, chain.w3.eth.block_number + 11)
    assert send_at(chain, "VERIFIER_ROLE", commit)["gasUsed"] <= 130_000
    chain.mine(11)
    assert send_at(chain, "OUTSIDER", chain.draws.functions.reveal(draw))["gasUsed"] <= 65_000
    outcome = chain.draws.functions.recordOutcome(draw, reference_key("C-1"), 3, doc)
    assert send_at(chain, "VERIFIER_ROLE", outcome)["gasUsed"] <= 70_000
