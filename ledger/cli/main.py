"""The `ledger` command line."""

from typing import Annotated

import typer

from ledger.cli.access import clients, users
from ledger.cli.keys import keys
from ledger.cli.webhooks import webhooks
from ledger.core.errors import LedgerError, SettingsError
from ledger.core.settings import get_settings

app = typer.Typer(no_args_is_help=True, help="Civil-air-defence fee & commitment ledger.")
audit = typer.Typer(no_args_is_help=True, help="Regulator's audit of the read model against the chain.")
app.add_typer(audit, name="audit")
app.add_typer(clients, name="clients")
app.add_typer(users, name="users")
app.add_typer(keys, name="keys")
app.add_typer(webhooks, name="webhooks")


def _fail(exc: LedgerError) -> None:
    typer.secho(f"error: {exc}", fg="red", err=True)
    raise typer.Exit(1)


@app.callback()
def _check_settings() -> None:
    # A bad LEDGER_* value is one line naming the variable, before any command starts.
    try:
        get_settings()
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
    from ledger.chain.node import connect
    from ledger.chain.deploy import deploy as deploy_contracts, deploy_options
    from ledger.chain.keystore import load_signers
    from ledger.chain.manifest import load_manifest

    settings = get_settings()
    try:
        w3 = connect(settings.rpc.url)
        manifest_path = settings.deployment.manifest_path
        existing = load_manifest(manifest_path) if manifest_path.exists() else None
        manifest, deployed = deploy_contracts(w3, load_signers(settings), existing=existing,
                                              options=deploy_options(settings, import_planned=import_planned))
    except LedgerError as exc:
        _fail(exc)
    manifest.save(settings.deployment.manifest_path)
    verb = "deployed" if deployed else "reused the live deployment"
    for c in manifest.contracts:
        typer.echo(f"{verb}: {c.name} at {c.address} (block {c.deployed_block})")
    typer.echo(f"manifest: {settings.deployment.manifest_path}")


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
    from ledger.chain.node import connect
    from ledger.db.engine import make_engine
    from ledger.chain.manifest import load_manifest

    if decoder not in ("codec", "events"):
        _fail(LedgerError(f"--decoder must be codec or events, not {decoder!r}"))
    settings = get_settings()
    try:
        report = verify(connect(settings.rpc.url), load_manifest(settings.deployment.manifest_path),
                        make_engine(settings.database.url), scratch_url=scratch, decoder=decoder)
    except LedgerError as exc:
        _fail(exc)
    for line in report.lines():
        typer.echo(line)
    if not report.equal:
        raise typer.Exit(1)


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
    settings = get_settings()
    try:
        indexer = build_indexer(settings, rebuild=rebuild, progress=True)
        _stop_on_signals(indexer)
        try:
            if not follow:
                typer.echo(f"indexed {indexer.catch_up()} events")
                return
            typer.echo(f"indexer {settings.indexer.indexer_id} following chain {indexer.chain_id}")
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
        indexer = build_indexer(get_settings(), progress=True)
        _stop_on_signals(indexer)
        try:
            indexer.wipe()
            typer.echo(f"re-indexed {indexer.catch_up()} events")
        finally:
            indexer.release()
    except LedgerError as exc:
        _fail(exc)


@app.command()
def migrate() -> None:
    """Bring the read model's schema to the newest Alembic revision (index and dev do this too)."""
    from ledger.db.engine import make_engine, migrate as upgrade

    upgrade(make_engine(get_settings().database.url))
    typer.echo("read model schema is up to date")
