"""`ledger index` and `ledger reindex`."""

import os

import pytest

from ledger.db.engine import make_engine
from ledger.db.schema import head_revision
from tests.support.databases import upgrade_to
from tests.support.ledger_cli import ledger


def test_ledger_reindex_rebuilds_the_same_read_model_that_ledger_index_built(chain, tmp_path):
    from tests.ledger.indexer.conftest import read_model, workload

    workload(chain).every_event(300)
    chain.manifest.save(tmp_path / "deployment.json")
    env = {
        **os.environ,
        "LEDGER_RPC_URL": chain.node.url,
        "LEDGER_MANIFEST_PATH": str(tmp_path / "deployment.json"),
        "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'read-model.db'}",
    }
    assert ledger("db", "upgrade", env=env).returncode == 0
    indexed = ledger("index", env=env)
    assert indexed.returncode == 0, indexed.stderr
    engine = make_engine(env["LEDGER_DATABASE_URL"])
    before = read_model(engine)
    assert before["raw_events"]
    rebuilt = ledger("reindex", env=env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert read_model(engine) == before


@pytest.mark.parametrize("revision", [None, "0008"], ids=["empty", "older"])
def test_ledger_index_and_reindex_refuse_a_database_not_at_the_head_in_one_line_naming_the_command_to_run(
    tmp_path, revision
):
    url = f"sqlite:///{tmp_path / 'read-model.db'}"
    if revision:
        upgrade_to(url, revision)
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_MANIFEST_PATH": str(tmp_path / "none.json")}
    for command in ("index", "reindex"):
        result = ledger(command, env=env)
        assert result.returncode == 1, result.stdout
        assert "Traceback" not in result.stderr and result.stderr.strip().count("\n") == 0, result.stderr
        assert head_revision() in result.stderr and 'run "ledger db upgrade"' in result.stderr
        assert (revision or "no schema") in result.stderr
