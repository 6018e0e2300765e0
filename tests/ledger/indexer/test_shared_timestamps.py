"""Blocks that share one timestamp: anvil mines a block at its parent's time when told to (and
after `evm_revert` restarts its clock at the snapshot's time), as a fast chain with one-second
timestamps does. Fees, commitments' due-date checks and the indexer assume nothing about
timestamps increasing strictly."""

import pytest
from sqlalchemy import text

from ledger.core.identifiers import reason_code, reference_key
from tests.contracts.helpers import (
    DAY,
    DOC,
    GRACE,
    OVERDUE,
    FULFILLED,
    PAID,
    account,
    assess,
    commitment,
    pay,
    project,
    record,
    registry_call,
    reverts,
    send_at,
)
from tests.ledger.indexer.conftest import kind_of, make_indexer, read_model

# Hardhat refuses a block at its parent's timestamp (evm_setNextBlockTimestamp must move forward)
pytestmark = pytest.mark.only_node("anvil")


def block_time(chain, receipt) -> int:
    return chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]


def test_blocks_sharing_one_timestamp_pass_through_fees_commitments_and_the_indexer(chain, database_url, new_database):
    t = chain.now() + 1
    p = project()
    receipts = [assess(chain, p, 10_000, due_in=DAY, at=t)]  # due at t + 1 day
    receipts.append(pay(chain, p, "V-1", 4_000, t, at=t))
    receipts.append(
        send_at(chain, "ASSESSOR_ROLE", chain.fee.functions.adjust(p, reason_code("SURVEY_SUPPLEMENT"), 500, DOC), t)
    )
    receipts.append(record(chain, "C-1", signed_at=t, due_in=DAY, at=t))
    receipts.append(record(chain, "C-2", signed_at=t, due_in=DAY, at=t))
    receipts.append(registry_call(chain, "VERIFIER_ROLE", "fulfil", "C-1", DOC, t, at=t))
    assert {block_time(chain, r) for r in receipts} == {t}
    rest = account(chain, p)["dueFen"] - 4_000
    assert len({r["blockNumber"] for r in receipts}) == len(receipts)  # one block each, one timestamp

    # The overdue boundary (due date + grace) holds in every block at its exact time, and passes one second later.
    boundary = t + DAY + GRACE
    for _ in range(3):
        with reverts("CommitmentRegistryNotYetDue"):
            registry_call(chain, "OUTSIDER", "markOverdue", "C-2", at=boundary)
    later = [
        registry_call(chain, "OUTSIDER", "markOverdue", "C-2", at=boundary + 1),
        pay(chain, p, "V-2", rest, boundary + 1, at=boundary + 1),
    ]
    assert {block_time(chain, r) for r in later} == {boundary + 1}
    assert account(chain, p)["status"] == PAID
    assert commitment(chain, "C-1")["status"] == FULFILLED and commitment(chain, "C-2")["status"] == OVERDUE

    indexer = make_indexer(chain, database_url)
    indexer.catch_up()
    with indexer.engine.connect() as conn:
        payments = conn.execute(text("SELECT paid_at, late FROM payments ORDER BY paid_at")).all()
        statuses = conn.execute(text("SELECT commitment, status, fulfilled_late FROM commitments")).all()
    assert [tuple(row) for row in payments] == [(t, False), (boundary + 1, True)]
    assert {row[0]: (row[1], row[2]) for row in statuses} == {
        "0x" + reference_key("C-1").hex(): ("fulfilled", False),
        "0x" + reference_key("C-2").hex(): ("overdue", False),
    }
    fresh = make_indexer(chain, new_database(kind_of(database_url)))
    fresh.catch_up()
    assert read_model(indexer.engine) == read_model(fresh.engine)
