"""`ledger deploy`: the contracts and the manifest."""

import os

from ledger.chain.manifest import load_manifest
from tests.support.ledger_cli import ledger


def test_ledger_deploy_writes_the_manifest_and_a_second_run_reuses_the_contracts(chain, tmp_path):
    env = {**os.environ, "LEDGER_RPC_URL": chain.node.url, "LEDGER_MANIFEST_PATH": str(tmp_path / "deployment.json")}
    first = ledger("deploy", env=env)
    assert first.returncode == 0, first.stderr
    manifest = load_manifest(tmp_path / "deployment.json")
    second = ledger("deploy", env=env)
    assert second.returncode == 0, second.stderr
    assert "reused the live deployment" in second.stdout
    assert load_manifest(tmp_path / "deployment.json") == manifest


def test_ledger_deploy_seals_the_import_unless_a_migration_is_planned(chain, tmp_path):
    from ledger.chain.node import connect, contract_at

    w3 = connect(chain.node.url)
    for flags, sealed in (((), True), (("--import-planned",), False)):
        manifest_path = tmp_path / f"deployment-{sealed}.json"
        env = {**os.environ, "LEDGER_RPC_URL": chain.node.url, "LEDGER_MANIFEST_PATH": str(manifest_path)}
        result = ledger("deploy", *flags, env=env)
        assert result.returncode == 0, result.stderr
        manifest = load_manifest(manifest_path)
        for name in ("FeeLedger", "CommitmentRegistry"):
            contract = contract_at(w3, name, manifest.latest(name).address)
            assert contract.functions.importSealed().call() is sealed, (name, flags)


def test_ledger_deploy_names_the_unreachable_node(tmp_path):
    env = {**os.environ, "LEDGER_RPC_URL": "http://127.0.0.1:9", "LEDGER_MANIFEST_PATH": str(tmp_path / "m.json")}
    result = ledger("deploy", env=env)
    assert result.returncode == 1
    assert "no JSON-RPC node at http://127.0.0.1:9" in result.stderr
