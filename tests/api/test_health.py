from fastapi.testclient import TestClient

from api.deps import get_settings
from api.main import create_app
from ledger.settings import Settings


def client_for(settings: Settings) -> TestClient:
    app = create_app()
    app.dependency_overrides[get_settings] = lambda: settings
    return TestClient(app)


def test_health_reports_the_chain_id_and_the_deployed_addresses(deployed_chain, tmp_path):
    deployed_chain.manifest.save(tmp_path / "deployment.json")
    settings = Settings(rpc_url=deployed_chain.node.url, manifest_path=tmp_path / "deployment.json")
    response = client_for(settings).get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["chain"]["reachable"] is True and body["chain"]["chain_id"] == 31337
    assert body["contracts"] == {c.name: c.address for c in deployed_chain.manifest.contracts}


def test_health_says_the_chain_is_unreachable_with_503(tmp_path):
    settings = Settings(rpc_url="http://127.0.0.1:9", manifest_path=tmp_path / "missing.json")
    response = client_for(settings).get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["chain"]["reachable"] is False
    assert any(p.startswith("chain:") for p in body["problems"])
    assert any(p.startswith("manifest:") for p in body["problems"])
