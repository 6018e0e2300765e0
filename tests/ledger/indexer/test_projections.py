"""A scripted history of every event type, mirrored to SQL and checked against the contracts' own views."""

import pytest
from sqlalchemy import text

from ledger.chain.events import EVENTS
from tests.ledger.indexer.conftest import make_indexer, read_model, workload

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil

FEE_STATUS = ["unassessed", "assessed", "partially_paid", "paid", "overpaid", "exempt", "nothing_owed"]
COMMITMENT_STATUS = ["none", "recorded", "fulfilled", "overdue", "breached", "repaired", "extended"]
KINDS = ["shelter_build", "fee_payment", "materials", "peacetime_use"]


def b32(hex_text: str) -> bytes:
    return bytes.fromhex(hex_text[2:])


def test_every_event_type_is_mirrored_and_projections_equal_the_contract_views(importing_chain, database_url):
    chain = importing_chain
    workload(chain).every_event(800)
    indexer = make_indexer(chain, database_url)
    indexer.catch_up()
    fee, registry = chain.fee.functions, chain.registry.functions

    with indexer.engine.connect() as conn:

        def rows(sql):
            return conn.execute(text(sql)).all()

        event_names = {row[0] for row in rows("SELECT DISTINCT event FROM raw_events")}
        assert event_names == {spec.name for spec in EVENTS.values()} - {"RoleAdminChanged"}
        logs = chain.w3.eth.get_logs({"address": [c.address for c in chain.manifest.contracts], "fromBlock": 0})
        assert rows("SELECT COUNT(*) FROM raw_events")[0][0] == len(logs)

        for version, district, rate in rows("SELECT version, district, rate_fen_per_m2 FROM rates"):
            effective_from = rows(f"SELECT effective_from FROM rate_tables WHERE version = {version}")[0][0]
            assert fee.rateOf(version, district).call() == [rate, effective_from]

        accounts = rows(
            "SELECT project, payer, district, rate_table_version, revision, relief_bps, status, base_fen, "
            "adjustment_fen, due_fen, paid_fen, refunded_fen, refund_owed_fen, assessed_at, due_at, "
            "over_refunded_fen FROM fee_accounts"
        )
        assert {row[6] for row in accounts} >= {"partially_paid", "overpaid"}
        for project, payer, *figures in accounts:
            view = list(fee.feeAccount(b32(project)).call())
            view[5] = FEE_STATUS[view[5]]
            assert (b32(payer), *figures) == tuple(view)
        assert rows("SELECT COUNT(*) FROM fee_accounts WHERE refund_owed_fen > 0")[0][0] > 0
        flagged = rows("SELECT project, over_refunded_fen FROM over_refunds")
        assert flagged and all(fee.feeAccount(b32(p)).call()[14] == level for p, level in flagged)
        assert rows("SELECT COUNT(*) FROM fee_assessments WHERE assessed_at IS NULL")[0][0] == 0

        for (voucher,) in rows("SELECT voucher FROM payments"):
            assert fee.isVoucherRecorded(b32(voucher)).call()
        for (ref,) in rows("SELECT refund_ref FROM refunds"):
            assert fee.isRefundRecorded(b32(ref)).call()
        assert rows("SELECT COUNT(*) FROM payments WHERE imported")[0][0] > 0

        commitments = rows(
            "SELECT commitment, project, enterprise, kind, status, fulfilled_late, extensions, "
            "signed_at, due_at, evidence_submitted_at, decided_at, recorded_at, overdue_at FROM commitments"
        )
        assert {row[4] for row in commitments} == {
            "recorded",
            "fulfilled",
            "overdue",
            "breached",
            "repaired",
            "extended",
        }
        for commitment, project, enterprise, kind, status, late, *times in commitments:
            view = registry.commitmentOf(b32(commitment)).call()
            assert (b32(project), b32(enterprise), kind, status, bool(late), *times) == (
                view[0],
                view[1],
                KINDS[view[2]],
                COMMITMENT_STATUS[view[3]],
                *view[4:],
            )
        assert rows("SELECT COUNT(*) FROM commitments WHERE evidence_submitted_at > 0")[0][0] > 0
        assert rows("SELECT COUNT(*) FROM commitments WHERE overdue_at > 0")[0][0] > 0
        assert rows("SELECT COUNT(*) FROM commitment_events WHERE by_acceptance")[0][0] > 0

        summaries = rows(
            "SELECT enterprise, recorded, fulfilled, fulfilled_late, overdue, breached, repaired "
            "FROM enterprise_commitment_summaries"
        )
        for enterprise, *counters in summaries:
            assert tuple(registry.countersOf(b32(enterprise)).call()) == tuple(counters)
        assert rows("SELECT COUNT(*) FROM enterprise_counter_imports")[0][0] > 0

        governance = rows("SELECT contract, event, key, value FROM governance_events ORDER BY block_number, log_index")
        grace = [value for contract, event, _, value in governance if event == "OverdueGracePeriodSet"]
        assert int(grace[-1]) == registry.overdueGracePeriod().call()
        for contract, event, key, value in governance:
            if event == "RefundReasonAllowed":
                assert fee.isRefundReasonAllowed(key.encode().ljust(32, b"\0")).call() == (value == "true")
        sealed = {contract for contract, event, _, _ in governance if event == "ImportSealed"}
        assert sealed == {"FeeLedger", "CommitmentRegistry"}
        assert fee.importSealed().call() and registry.importSealed().call()

        for table in (
            "payments",
            "fee_accounts",
            "commitments",
            "commitment_events",
            "enterprise_commitment_summaries",
        ):
            block_number, block_hash, tx_hash = conn.execute(
                text(f"SELECT block_number, block_hash, transaction_hash FROM {table} LIMIT 1")
            ).first()
            block = chain.w3.eth.get_block(block_number)
            assert block["hash"].to_0x_hex() == block_hash
            assert tx_hash in {t.to_0x_hex() for t in block["transactions"]}


def test_running_again_over_an_indexed_chain_changes_nothing(chain, database_url):
    workload(chain).every_event(300)
    first = make_indexer(chain, database_url)
    first.catch_up()
    before = read_model(first.engine)
    first.release()
    second = make_indexer(chain, database_url)
    assert second.catch_up() == 0
    assert read_model(second.engine) == before


def test_role_grants_are_mirrored_so_a_regulator_can_see_who_held_which_role(chain, database_url):
    indexer = make_indexer(chain, database_url)
    indexer.catch_up()
    with indexer.engine.connect() as conn:
        grants = conn.execute(text("SELECT contract, account FROM role_events WHERE event = 'RoleGranted'")).all()
    assert ("FeeLedger", chain.signers["TAX_ROLE"].address.lower()) in grants
    assert ("CommitmentRegistry", chain.signers["VERIFIER_ROLE"].address.lower()) in grants
