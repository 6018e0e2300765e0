from fastapi.testclient import TestClient

from api.deps import get_settings
from api.main import create_app
from ledger.db.engine import make_engine, migrate
from ledger.indexer.loop import Indexer, IndexerConfig
from ledger.rpc import JsonRpc
from ledger.settings import Settings


def client_for(settings: Settings) -> TestClient:
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: settings
    return TestClient(app)


def test_health_reports_the_chain_the_addresses_and_the_indexer_lag(chain, tmp_path):
    chain.manifest.save(tmp_path / "deployment.json")
    database_url = f"sqlite:///{tmp_path / 'read-model.db'}"
    settings = Settings(rpc_url=chain.node.url, manifest_path=tmp_path / "deployment.json", database_url=database_url)
    engine = make_engine(database_url)
    migrate(engine)
    Indexer(engine=engine, rpc=JsonRpc(chain.node.url), manifest=chain.manifest, config=IndexerConfig(),
            owner="health-test").catch_up()
    chain.travel(1)  # one block the indexer has not seen

    response = client_for(settings).get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["chain"]["reachable"] is True and body["chain"]["chain_id"] == 31337
    assert body["contracts"] == {c.name: c.address for c in chain.manifest.contracts}
    assert body["indexer"] == {"head_block": body["chain"]["head_block"] - 1, "lag_blocks": 1}


def test_health_says_the_chain_is_unreachable_with_503(tmp_path):
    settings = Settings(rpc_url="http://127.0.0.1:9", manifest_path=tmp_path / "missing.json",
                        database_url=f"sqlite:///{tmp_path / 'none.db'}")
    response = client_for(settings).get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["chain"]["reachable"] is False
    assert any(p.startswith("chain:") for p in body["problems"])
    assert any(p.startswith("manifest:") for p in body["problems"])
