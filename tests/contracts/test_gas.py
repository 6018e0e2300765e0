"""Gas ceilings from DESIGN.md §9 (gas is deterministic, so these are exact checks, not timings)."""

from ledger.identifiers import reference_key
from tests.contracts.helpers import BASIS, PAYER, project


def test_a_single_payment_costs_at_most_60000_gas(chain):
    chain.senders["ASSESSOR_ROLE"].send(chain.fee.functions.assess(project(), PAYER, 10_000, 3_000, 1, BASIS))
    receipt = chain.senders["TAX_ROLE"].send(
        chain.fee.functions.recordPayment(project(), reference_key("V-1"), 123_456, chain.now())
    )
    assert receipt["gasUsed"] <= 60_000


def test_a_batch_of_100_payments_to_100_projects_costs_at_most_35000_gas_per_record(chain):
    for n in range(100):
        chain.senders["ASSESSOR_ROLE"].send(chain.fee.functions.assess(project(n), PAYER, 10_000, 3_000, 1, BASIS))
    now = chain.now()
    batch = [(project(n), reference_key(f"V-{n}"), 123_456, now) for n in range(100)]
    receipt = chain.senders["TAX_ROLE"].send(chain.fee.functions.recordPayments(batch))
    assert receipt["gasUsed"] / 100 <= 35_000
