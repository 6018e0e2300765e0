"""The `ledger` command line."""

import json
from typing import Annotated

import typer

from ledger.cli_access import clients, users
from ledger.cli_keys import keys
from ledger.cli_webhooks import webhooks
from ledger.sim.cli import sim
from ledger.errors import LedgerError, SettingsError
from ledger.settings import Settings, load_settings

app = typer.Typer(no_args_is_help=True, help="Civil-air-defence fee & commitment ledger.")
bench = typer.Typer(no_args_is_help=True, help="Benchmarks; each prints one JSON object.")
audit = typer.Typer(no_args_is_help=True, help="Regulator's audit of the read model against the chain.")
app.add_typer(bench, name="bench")
app.add_typer(audit, name="audit")
app.add_typer(clients, name="clients")
app.add_typer(users, name="users")
app.add_typer(keys, name="keys")
app.add_typer(webhooks, name="webhooks")
app.command("sim")(sim)


def _fail(exc: LedgerError) -> None:
    typer.secho(f"error: {exc}", fg="red", err=True)
    raise typer.Exit(1)


@app.callback()
def _check_settings() -> None:
    # A bad LEDGER_* value is one line naming the variable, before any command starts.
    try:
        load_settings()
    except SettingsError as exc:
        _fail(exc)


def _stop_on_signals(indexer) -> None:
    """SIGINT/SIGTERM stop the indexer between batches; what is committed stays."""
    import signal

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: indexer.stop.set())


@app.command()
def deploy(
    import_planned: bool = typer.Option(
        False, "--import-planned",
        help="Leave the import window open for a migration from an earlier version (the admin imports, "
             "then calls sealImport(); the first live write seals it too). Default: sealed at once."),
) -> None:
    """Deploy the contracts to LEDGER_RPC_URL and write the manifest; reuse a live deployment."""
    from ledger.chain import connect
    from ledger.deploy import deploy as deploy_contracts, deploy_options
    from ledger.keys import load_signers
    from ledger.manifest import load_manifest

    settings = load_settings()
    try:
        w3 = connect(settings.rpc_url)
        existing = load_manifest(settings.manifest_path) if settings.manifest_path.exists() else None
        manifest, deployed = deploy_contracts(w3, load_signers(settings), existing=existing,
                                              options=deploy_options(settings, import_planned=import_planned))
    except LedgerError as exc:
        _fail(exc)
    manifest.save(settings.manifest_path)
    verb = "deployed" if deployed else "reused the live deployment"
    for c in manifest.contracts:
        typer.echo(f"{verb}: {c.name} at {c.address} (block {c.deployed_block})")
    typer.echo(f"manifest: {settings.manifest_path}")


@bench.command("gas")
def bench_gas() -> None:
    """Gas per write on a fresh local node (started and stopped here)."""
    from ledger.bench.gas import measure_gas

    typer.echo(json.dumps(measure_gas()))


@bench.command("index")
def bench_index(
    events: Annotated[int, typer.Option(help="How many events to emit and backfill.")] = 100_000,
    postgres: Annotated[str | None, typer.Option(help="Also backfill into a throwaway database on this server.")] = None,
    repeats: Annotated[int, typer.Option(help="Interleaved runs of the SQLite indexer and the raw fetch; medians are reported.")] = 3,
) -> None:
    """Backfill speed: indexer into SQLite (and PostgreSQL) vs the idiomatic web3+ORM path and raw fetches."""
    from ledger.bench.index import bench_index as run

    typer.echo(json.dumps(run(events, postgres, repeats)))


@bench.command("audit")
def bench_audit_command(
    events: Annotated[int, typer.Option(help="How many events to emit, re-index and audit.")] = 20_000,
    repeats: Annotated[int, typer.Option(help="Interleaved runs of each; medians are reported.")] = 3,
) -> None:
    """`ledger audit verify` (independent rebuild + diff) vs the indexer's re-index of the same chain."""
    from ledger.bench.audit import bench_audit

    typer.echo(json.dumps(bench_audit(events, repeats)))


@audit.command("verify")
def audit_verify(
    scratch: Annotated[str | None, typer.Option(help="An empty database to rebuild into (default: a temporary SQLite file).")] = None,
    decoder: Annotated[str, typer.Option(help="codec: web3's ABI codec per log (default); events: web3's "
                                              "ContractEvent.process_log (the reference, ~10x slower).")] = "codec",
) -> None:
    """Rebuild the read model from the chain along an independent path (fetch and decode through
    web3, aggregates by full recount) and compare it, table by table, with the live read model up to its
    checkpoint. Exit 1 if any row differs."""
    from ledger.audit.verify import verify
    from ledger.chain import connect
    from ledger.db.engine import make_engine
    from ledger.manifest import load_manifest

    if decoder not in ("codec", "events"):
        _fail(LedgerError(f"--decoder must be codec or events, not {decoder!r}"))
    settings = load_settings()
    try:
        report = verify(connect(settings.rpc_url), load_manifest(settings.manifest_path),
                        make_engine(settings.database_url), scratch_url=scratch, decoder=decoder)
    except LedgerError as exc:
        _fail(exc)
    for line in report.lines():
        typer.echo(line)
    if not report.equal:
        raise typer.Exit(1)


@bench.command("api")
def bench_api_command(
    requests: Annotated[int, typer.Option(help="Confirmations per timed run, ours and the bare baseline each.")] = 2000,
    connections: Annotated[int, typer.Option(help="Load processes, one keep-alive connection each.")] = 8,
    repeats: Annotated[int, typer.Option(help="Interleaved runs of each; medians are reported.")] = 3,
    payments: Annotated[int, typer.Option(help="End to end: confirmations to push through to `indexed`.")] = 20000,
    rate: Annotated[float, typer.Option(help="End to end: offered confirmations per second.")] = 1200.0,
    batch: Annotated[int, typer.Option(help="End to end: confirmations per /v1/tax/payments/batch request.")] = 500,
    end_to_end: Annotated[bool, typer.Option(help="Also run the end-to-end part.")] = True,
) -> None:
    """Confirmations accepted by one API process vs a bare FastAPI insert; API → chain → indexed."""
    from ledger.bench.api import bench_api

    typer.echo(json.dumps(bench_api(requests=requests, connections=connections, repeats=repeats, payments=payments,
                                    rate=rate, batch=batch, end_to_end=end_to_end)))


@bench.command("public")
def bench_public_command(
    projects: Annotated[int, typer.Option(help="Projects seeded in the read model; requests spread over them at random.")] = 1000,
    requests: Annotated[int, typer.Option(help="Requests per timed run, ours and the bare baseline each.")] = 6000,
    connections: Annotated[int, typer.Option(help="Load processes, one keep-alive connection each.")] = 4,
    repeats: Annotated[int, typer.Option(help="Interleaved runs of each; medians are reported.")] = 3,
    latency_rate: Annotated[float, typer.Option(help="Offered requests per second of the latency run.")] = 200.0,
    database: Annotated[str, typer.Option(help="A PostgreSQL server URL (a scratch database is made) or sqlite.")] = "postgresql://127.0.0.1/test",
) -> None:
    """The public inquiry API of one process vs a bare FastAPI JSON endpoint; p99 at a fixed rate."""
    from ledger.bench.public import bench_public

    typer.echo(json.dumps(bench_public(projects_count=projects, requests=requests, connections=connections,
                                       repeats=repeats, latency_rate=latency_rate,
                                       database="sqlite" if database == "sqlite" else database)))


@app.command()
def index(
    follow: Annotated[bool, typer.Option(help="Keep polling for new blocks until stopped.")] = False,
    rebuild: Annotated[bool, typer.Option(help="If the chain's genesis changed, wipe the read model and rebuild it.")] = False,
) -> None:
    """Mirror every contract event into the SQL read model (one active indexer per chain).
    SIGTERM or Ctrl-C stops it between batches."""
    import logging

    from ledger.indexer.service import build_indexer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    try:
        indexer = build_indexer(settings, rebuild=rebuild, progress=True)
        _stop_on_signals(indexer)
        try:
            if not follow:
                typer.echo(f"indexed {indexer.catch_up()} events")
                return
            typer.echo(f"indexer {settings.indexer_id} following chain {indexer.chain_id}")
            indexer.follow()
        finally:
            indexer.release()  # a standby (or the next command) may take over at once
    except LedgerError as exc:
        _fail(exc)


@app.command()
def reindex() -> None:
    """Drop this chain's read model and rebuild it from the chain (under the indexer lease)."""
    from ledger.indexer.service import build_indexer

    try:
        indexer = build_indexer(load_settings(), progress=True)
        _stop_on_signals(indexer)
        try:
            indexer.wipe()
            typer.echo(f"re-indexed {indexer.catch_up()} events")
        finally:
            indexer.release()
    except LedgerError as exc:
        _fail(exc)


@app.command()
def dev(
    simulate: Annotated[bool, typer.Option(envvar="LEDGER_DEV_SIMULATE",
                                           help="Seed and drive the system with the tax/approval simulators.")] = True,
) -> None:
    """Run the whole system locally (what `make run` does). Ctrl-C stops it."""
    from ledger.devrun import run_dev

    try:
        raise typer.Exit(run_dev(simulate=simulate))
    except LedgerError as exc:
        _fail(exc)


@app.command()
def migrate() -> None:
    """Bring the read model's schema to the newest Alembic revision (index and dev do this too)."""
    from ledger.db.engine import make_engine, migrate as upgrade

    upgrade(make_engine(Settings().database_url))
    typer.echo("read model schema is up to date")


@bench.command("write-path")
def bench_write_path(
    confirmations: Annotated[int, typer.Option(help="Payment confirmations to push through.")] = 20_000,
    rate: Annotated[float, typer.Option(help="Offered confirmations per second (batches of 500, as the API takes them).")] = 1_000.0,
    database: Annotated[str, typer.Option(help="sqlite or postgresql (a throwaway database on --postgres).")] = "sqlite",
    postgres: Annotated[str, typer.Option(help="PostgreSQL server for --database postgresql.")] = "postgresql://127.0.0.1/test",
    batch_size: Annotated[int, typer.Option(help="Commands per transaction.")] = 1000,
) -> None:
    """Confirmations end to end (service → outbox → chain → indexed) vs the chain alone, on a fresh node."""
    from ledger.bench.write_path import bench_write_path as run

    typer.echo(json.dumps(run(confirmations, rate, database, postgres, batch_size)))
