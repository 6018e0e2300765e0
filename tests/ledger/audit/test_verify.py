"""The regulator's audit: an independent rebuild of the read model, compared table by table."""

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from ledger.audit.verify import verify
from devtools.bench.workload import Workload
from ledger.cli.main import app
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from devtools.scratch_db import scratch_database
from ledger.indexer.loop import Indexer, IndexerConfig
from ledger.chain.rpc import JsonRpc

POSTGRES_SERVER = "postgresql://127.0.0.1/test"


@pytest.fixture(scope="module")
def read_models(module_chain, tmp_path_factory):
    """Every kind of event on the module's chain, indexed into SQLite and PostgreSQL."""
    chain = module_chain
    Workload(chain.w3, chain.manifest, chain.signers).every_event(300)
    url, drop = scratch_database(POSTGRES_SERVER, prefix="ledger_audit_test")
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('audit') / 'read-model.db'}", "postgresql": url}
    engines = {}
    for kind, url in urls.items():
        engines[kind] = make_engine(url)
        upgrade_schema(engines[kind])
        Indexer(
            engine=engines[kind],
            rpc=JsonRpc(chain.node.url),
            manifest=chain.manifest,
            config=IndexerConfig(),
            owner=f"audit-{kind}",
        ).catch_up()
    yield chain, urls, engines
    for engine in engines.values():
        engine.dispose()
    drop()


@pytest.mark.parametrize("kind, decoder", [("sqlite", "codec"), ("postgresql", "codec"), ("sqlite", "events")])
def test_an_untampered_read_model_passes_the_audit_table_by_table(read_models, kind, decoder):
    chain, _, engines = read_models
    report = verify(chain.w3, chain.manifest, engines[kind], decoder=decoder)
    assert report.equal, "\n".join(report.lines())
    rows = {t.table: t.rows for t in report.tables}
    assert rows["raw_events"] == report.events >= 300
    assert rows["block_times"] > 0 and rows["payments"] > 0 and rows["commitments"] > 0
    assert report.lines()[-1] == "read model EQUALS the chain"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_tampered_read_model_row_is_found_and_named(read_models, kind):
    chain, _, engines = read_models
    engine = engines[kind]
    with engine.begin() as conn:
        block, index, amount = conn.execute(
            text("SELECT block_number, log_index, amount_fen FROM payments ORDER BY block_number DESC LIMIT 1")
        ).first()
        conn.execute(
            text("UPDATE payments SET amount_fen = amount_fen + 1 WHERE block_number = :b AND log_index = :i"),
            {"b": block, "i": index},
        )
    try:
        report = verify(chain.w3, chain.manifest, engine)
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE payments SET amount_fen = :a WHERE block_number = :b AND log_index = :i"),
                {"a": amount, "b": block, "i": index},
            )
    differing = [t for t in report.tables if not t.equal]
    assert [t.table for t in differing] == ["payments"]
    assert differing[0].changed == 1 and differing[0].missing == differing[0].extra == 0
    assert differing[0].examples == [
        f"({chain.manifest.chain_id}, {block}, {index}): amount_fen is {amount + 1} "
        f"in the read model, {amount} on chain"
    ]
    assert report.lines()[-1] == "read model DIFFERS from the chain in 1 table(s): payments"


def test_ledger_audit_verify_exits_non_zero_naming_a_deleted_row(read_models, monkeypatch, tmp_path):
    chain, urls, engines = read_models
    manifest_path = tmp_path / "deployment.json"
    chain.manifest.save(manifest_path)
    monkeypatch.setenv("LEDGER_RPC_URL", chain.node.url)
    monkeypatch.setenv("LEDGER_DATABASE_URL", urls["sqlite"])
    monkeypatch.setenv("LEDGER_MANIFEST_PATH", str(manifest_path))
    passed = CliRunner().invoke(app, ["audit", "verify"])
    assert passed.exit_code == 0, passed.output
    assert "read model EQUALS the chain" in passed.output
    with engines["sqlite"].begin() as conn:
        row = conn.execute(text("SELECT * FROM commitment_events WHERE event = 'breached' LIMIT 1")).mappings().first()
        conn.execute(
            text("DELETE FROM commitment_events WHERE block_number = :b AND log_index = :i"),
            {"b": row["block_number"], "i": row["log_index"]},
        )
    try:
        failed = CliRunner().invoke(app, ["audit", "verify"])
    finally:
        with engines["sqlite"].begin() as conn:
            conn.execute(
                text(f"INSERT INTO commitment_events ({', '.join(row)}) VALUES ({', '.join(':' + c for c in row)})"),
                dict(row),
            )
    assert failed.exit_code == 1, failed.output
    assert "commitment_events" in failed.output and "missing from the read model" in failed.output
    assert f"({chain.manifest.chain_id}, {row['block_number']}, {row['log_index']}): on chain" in failed.output
