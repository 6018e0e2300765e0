"""A scripted history of every event type, mirrored to SQL and checked against the contracts' own views."""

from sqlalchemy import text

from ledger.events import EVENTS
from tests.ledger.indexer.conftest import make_indexer, read_model, workload

FEE_STATUS = ["unassessed", "assessed", "partially_paid", "paid", "overpaid", "exempt"]
COMMITMENT_STATUS = ["none", "recorded", "fulfilled", "overdue", "breached", "repaired", "extended"]


def b32(hex_text: str) -> bytes:
    return bytes.fromhex(hex_text[2:])


def test_every_event_type_is_mirrored_and_projections_equal_the_contract_views(chain, database_url):
    workload(chain).every_event(800)
    indexer = make_indexer(chain, database_url)
    indexer.catch_up()

    with indexer.engine.connect() as conn:
        event_names = {row[0] for row in conn.execute(text("SELECT DISTINCT event FROM raw_events"))}
        assert event_names == {spec.name for spec in EVENTS.values()} - {"RoleAdminChanged"}
        logs = chain.w3.eth.get_logs({"address": [c.address for c in chain.manifest.contracts], "fromBlock": 0})
        assert conn.execute(text("SELECT COUNT(*) FROM raw_events")).scalar() == len(logs)

        accounts = conn.execute(text("SELECT project, payer, due_fen, paid_fen, refunded_fen, revision, status FROM fee_accounts")).all()
        assert len(accounts) > 0
        for project, payer, due, paid, refunded, revision, status in accounts:
            view = chain.fee.functions.feeAccount(b32(project)).call()
            assert (b32(payer), due, paid, refunded, revision, FEE_STATUS[view[5]]) == (*view[:5], status)

        commitments = conn.execute(text("SELECT commitment, project, enterprise, due_at, status, fulfilled_late FROM commitments")).all()
        assert {row[4] for row in commitments} == {"recorded", "fulfilled", "overdue", "breached", "repaired", "extended"}
        for commitment, project, enterprise, due_at, status, late in commitments:
            view = chain.registry.functions.commitmentOf(b32(commitment)).call()
            assert (b32(project), b32(enterprise), due_at, status, bool(late)) == (
                view[0], view[1], view[2], COMMITMENT_STATUS[view[5]], view[6])

        summaries = conn.execute(text("SELECT enterprise, recorded, fulfilled, fulfilled_late, overdue, breached, repaired "
                                      "FROM enterprise_commitment_summaries")).all()
        for enterprise, *counters in summaries:
            assert tuple(chain.registry.functions.countersOf(b32(enterprise)).call()) == tuple(counters)

        for table in ("payments", "fee_accounts", "commitments", "commitment_events"):
            block_number, block_hash, tx_hash = conn.execute(
                text(f"SELECT block_number, block_hash, transaction_hash FROM {table} LIMIT 1")).first()
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
