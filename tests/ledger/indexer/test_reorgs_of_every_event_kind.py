"""Reorgs that orphan the v2 and v3 events — relief, adjustments, refund owed, refunds, over-refunds,
evidence, fulfilments, overdue marks, breaches and imports — end equal to a fresh re-index.

Imports come before any live write (v3 seals the import at the first one), on a deployment
whose import window is open."""

import pytest

from devtools.bench.workload import DAY, GRACE
from ledger.core.identifiers import reference_key
from tests.ledger.indexer.conftest import kind_of, make_indexer, read_model, workload

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


def test_a_reorg_orphaning_fee_commitment_and_import_events_ends_equal_to_a_fresh_reindex(
    importing_chain, database_url, new_database
):
    chain = importing_chain
    snapshot = chain.rpc("evm_snapshot")

    branch = workload(chain, seed=2)  # about 35 blocks of every kind of change
    branch.migrate(2)
    projects = branch.assess(4)
    commitments = branch.record(projects, 4, due_in=DAY)
    branch.relieve(projects, 2)
    branch.adjust(projects, 2)
    branch.overpay(projects[0])
    branch.refund(projects, 1)
    branch.over_refund(projects[0])
    evidence = reference_key("evidence")
    branch.decide("submitEvidence", commitments[:2], evidence, None, role="APPROVAL_ROLE")
    branch.decide("fulfil", commitments[:1], evidence, None)
    branch.decide("rejectEvidence", commitments[1:2], reference_key("reason"))
    branch.travel(DAY + GRACE + 1)
    branch.mark_overdue(commitments[1:])
    branch.decide("breach", commitments[2:3], reference_key("reason"))
    branch.decide("extend", commitments[3:], branch.now() + 30 * DAY, reference_key("doc"))

    indexer = make_indexer(chain, database_url)
    indexer.catch_up()
    with indexer.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM commitment_events WHERE event = 'breached'").scalar() == 1
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM over_refunds").scalar() == 1

    assert chain.rpc("evm_revert", [snapshot]) is True
    other = workload(chain, seed=3, payment_batch=1)
    other.pay(other.assess(2), 45)  # a longer branch of plain payments, a block each
    indexer.catch_up()

    assert indexer.last_reorg is not None
    fresh = make_indexer(chain, new_database(kind_of(database_url)))
    fresh.catch_up()
    assert read_model(indexer.engine) == read_model(fresh.engine)
    with indexer.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM fee_account_imports").scalar() == 0
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM commitment_events WHERE event = 'breached'").scalar() == 0
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM over_refunds").scalar() == 0
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM fee_accounts WHERE over_refunded_fen > 0").scalar() == 0


def test_a_reorg_orphaning_counters_imported_for_an_enterprise_without_commitments_removes_its_summary(
    importing_chain, database_url, new_database
):
    chain = importing_chain
    indexer = make_indexer(chain, database_url)
    indexer.catch_up()
    snapshot = chain.rpc("evm_snapshot")

    branch = workload(chain, seed=2)
    enterprise = reference_key("an enterprise carried over with counters only")
    branch._tx("DEFAULT_ADMIN_ROLE", branch.registry.functions.importCounters([(enterprise, (3, 2, 1, 1, 0, 0))]))
    indexer.catch_up()
    with indexer.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM enterprise_commitment_summaries").scalar() == 1

    assert chain.rpc("evm_revert", [snapshot]) is True
    other = workload(chain, seed=3, payment_batch=1)
    other.pay(other.assess(1), 5)  # a longer branch without the import
    indexer.catch_up()

    assert indexer.last_reorg is not None
    with indexer.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM enterprise_commitment_summaries").scalar() == 0
    fresh = make_indexer(chain, new_database(kind_of(database_url)))
    fresh.catch_up()
    assert read_model(indexer.engine) == read_model(fresh.engine)
