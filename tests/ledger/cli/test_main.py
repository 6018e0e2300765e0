import json
import os
import subprocess
import sys

from ledger.chain.manifest import load_manifest


def ledger(*args, env):
    return subprocess.run([sys.executable, "-m", "ledger", *args], env=env, capture_output=True, text=True, timeout=120)


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


def test_ledger_bench_gas_prints_one_json_object_within_the_ceilings():
    result = subprocess.run([sys.executable, "-m", "devtools", "bench", "gas"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["payment_single_gas"] <= 60_000
    assert figures["payment_batch100_per_record_gas"] <= 35_000
    assert {"assess_gas", "commitment_record_gas", "commitment_fulfil_gas"} <= figures.keys()


def test_ledger_reindex_rebuilds_the_same_read_model_that_ledger_index_built(chain, tmp_path):
    from ledger.db.engine import make_engine
    from tests.ledger.indexer.conftest import read_model, workload

    workload(chain).every_event(300)
    chain.manifest.save(tmp_path / "deployment.json")
    env = {**os.environ, "LEDGER_RPC_URL": chain.node.url, "LEDGER_MANIFEST_PATH": str(tmp_path / "deployment.json"),
           "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'read-model.db'}"}
    indexed = ledger("index", env=env)
    assert indexed.returncode == 0, indexed.stderr
    engine = make_engine(env["LEDGER_DATABASE_URL"])
    before = read_model(engine)
    assert before["raw_events"]
    rebuilt = ledger("reindex", env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert read_model(engine) == before
