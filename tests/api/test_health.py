import time
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from web.app import create_app
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.core.errors import ChainUnavailable, ReorgTooDeep
from ledger.indexer.loop import Indexer, IndexerConfig
from ledger.chain.rpc import JsonRpc
from ledger.core.settings import Settings, get_settings
from tests.ledger.indexer.conftest import workload

pytestmark = pytest.mark.every_node  # runs on Hardhat and on anvil


def client_for(settings: Settings) -> TestClient:
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: settings
    return TestClient(app)


def indexed(chain, tmp_path, **groups):
    """Settings for a read model the indexer has caught up, and its indexer. The node URL
    carries credentials, as a provider's would."""
    chain.manifest.save(tmp_path / "deployment.json")
    database_url = f"sqlite:///{tmp_path / 'read-model.db'}"
    rpc_url = chain.node.url.replace("http://", "http://operator:s3cret-key@")
    if chain.node.kind == "hardhat":  # Hardhat answers on any path; anvil only on "/" (404 elsewhere)
        rpc_url += "/v3/s3cret-project"
    settings = Settings(
        rpc={"url": rpc_url},
        deployment={"manifest_path": tmp_path / "deployment.json"},
        database={"url": database_url},
        **groups,
    )
    engine = make_engine(database_url)
    upgrade_schema(engine)
    indexer = Indexer(
        engine=engine,
        rpc=JsonRpc(chain.node.url),
        manifest=chain.manifest,
        config=IndexerConfig(reorg_limit=3),
        owner="health-test",
    )
    indexer.catch_up()
    return settings, indexer


def test_health_reports_the_chain_the_addresses_and_the_indexer_lag(chain, tmp_path):
    settings, _ = indexed(chain, tmp_path)
    chain.travel(1)  # one block the indexer has not seen

    response = client_for(settings).get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["chain"]["reachable"] is True and body["chain"]["chain_id"] == 31337
    assert body["contracts"] == {c.name: c.address for c in chain.manifest.contracts}
    assert body["indexer"] == {"head_block": body["chain"]["head_block"] - 1, "lag_blocks": 1}
    assert "s3cret" not in response.text


def test_health_shows_the_chains_clock_and_its_offset_from_the_servers(chain, tmp_path):
    settings, _ = indexed(chain, tmp_path)
    chain.travel(600)  # the node's clock 10 minutes ahead of the wall clock
    chain_time = JsonRpc(chain.node.url).block("latest")["timestamp"]
    body = client_for(settings).get("/health").json()["chain"]
    head = datetime.fromisoformat(body["head_time"]).timestamp()
    assert head == int(chain_time, 16)
    assert body["clock_offset_seconds"] == head - datetime.fromisoformat(body["server_time"]).timestamp()
    assert body["clock_offset_seconds"] >= 590


def test_health_says_the_chain_is_unreachable_with_503_without_showing_the_url(tmp_path):
    settings = Settings(
        rpc={"url": "http://operator:s3cret@127.0.0.1:9/v3/s3cret"},
        deployment={"manifest_path": tmp_path / "missing.json"},
        database={"url": f"sqlite:///{tmp_path / 'none.db'}"},
    )
    response = client_for(settings).get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["chain"]["reachable"] is False
    assert any(p.startswith("chain:") for p in body["problems"])
    assert any(p.startswith("manifest:") for p in body["problems"])
    assert "s3cret" not in response.text and "127.0.0.1:9" not in response.text


def test_health_turns_503_after_a_reorg_too_deep_halt(chain, tmp_path):
    load = workload(chain, seed=1)
    projects = load.assess(2)
    snapshot = chain.rpc("evm_snapshot")
    for _ in range(5):
        load.pay(projects, 1)
    settings, indexer = indexed(chain, tmp_path)
    chain.rpc("evm_revert", [snapshot])
    load = workload(chain, seed=2)
    for _ in range(6):
        load.pay(projects, 1)
    with pytest.raises(ReorgTooDeep):
        indexer.catch_up()

    response = client_for(settings).get("/health")
    assert response.status_code == 503
    assert any(p.startswith("indexer: halted by ReorgTooDeep") for p in response.json()["problems"])
    assert "s3cret" not in response.text


def test_health_turns_503_when_the_lag_passes_its_threshold(chain, tmp_path):
    settings, _ = indexed(chain, tmp_path, health={"max_lag_blocks": 3})
    for _ in range(3):
        chain.travel(1)
    assert client_for(settings).get("/health").status_code == 200
    chain.travel(1)
    response = client_for(settings).get("/health")
    assert response.status_code == 503
    assert "4 blocks behind the head (more than LEDGER_HEALTH_MAX_LAG_BLOCKS=3)" in " ".join(
        response.json()["problems"]
    )


def test_health_turns_503_when_the_last_good_poll_is_older_than_its_threshold(chain, tmp_path):
    settings, indexer = indexed(chain, tmp_path, health={"max_poll_age_seconds": 120})
    assert client_for(settings).get("/health").status_code == 200
    with indexer.engine.begin() as conn:  # the indexer fell silent ten minutes ago
        conn.execute(text("UPDATE indexer_status SET polled_at = polled_at - 600"))
        conn.execute(text("UPDATE chain_state SET updated_at = updated_at - 600"))
    response = client_for(settings).get("/health")
    assert response.status_code == 503
    assert any("no good poll for 6" in p for p in response.json()["problems"])


def test_metrics_export_head_checkpoint_lag_events_reorgs_and_errors_by_kind(chain, tmp_path):
    load = workload(chain, seed=1)
    projects = load.assess(2)
    snapshot = chain.rpc("evm_snapshot")
    load.pay(projects, 1)
    settings, indexer = indexed(chain, tmp_path)
    chain.rpc("evm_revert", [snapshot])
    workload(chain, seed=2).pay(projects, 2)  # a reorg of depth 1, and one block more
    indexer.catch_up()
    indexer.rpc = JsonRpc("http://127.0.0.1:9", timeout=1)
    with pytest.raises(ChainUnavailable):
        indexer.run_once()  # counted by kind
    chain.travel(1)

    response = client_for(settings).get("/metrics")
    assert response.status_code == 200
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }
    chain_label = (("chain_id", "31337"),)
    head = chain.w3.eth.block_number
    assert samples[("ledger_chain_head_block", chain_label)] == head
    assert samples[("ledger_indexer_checkpoint_block", chain_label)] == head - 1
    assert samples[("ledger_indexer_lag_blocks", chain_label)] == 1
    with indexer.engine.connect() as conn:
        events = conn.execute(text("SELECT count(*) FROM raw_events")).scalar_one()
    assert samples[("ledger_indexer_events_indexed_total", chain_label)] >= events > 0
    assert samples[("ledger_indexer_reorgs_total", chain_label)] == 1
    assert samples[("ledger_indexer_errors_total", (("chain_id", "31337"), ("kind", "ChainUnavailable")))] == 1
    assert samples[("ledger_indexer_up", chain_label)] == 1
    assert "s3cret" not in response.text


def test_a_transaction_the_writer_sent_long_ago_without_a_receipt_is_a_problem(chain, tmp_path):
    """E.g. one stored behind a nonce gap whose sender was rotated out of the signers: the writer logs
    it each round and /health says it until it is settled."""
    settings, indexer = indexed(chain, tmp_path)
    with indexer.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO outbox_transactions (chain_id, sender, nonce, transaction_hash, raw, status, created_at) "
                "VALUES (:chain, '0xRetired', 7, '0xab', :raw, 'sent', :at)"
            ),
            {"chain": chain.manifest.chain_id, "raw": b"\\x00", "at": time.time() - 3600},
        )
    response = client_for(settings).get("/health")
    assert response.status_code == 503
    assert [p for p in response.json()["problems"] if p.startswith("writer:")] == [
        "writer: 1 transaction(s) sent more than 600 s ago have no receipt (e.g. nonce 7 of 0xRetired): "
        "see the writer's log"
    ]
