"""`ledger audit verify`: the regulator's check of the read model against the chain."""

from typing import Annotated

import typer

from ledger.cli.common import current_engine, fail
from ledger.core.errors import LedgerError
from ledger.core.settings import get_settings

audit = typer.Typer(no_args_is_help=True, help="Regulator's audit of the read model against the chain.")


@audit.command("verify")
def verify(
    scratch: Annotated[
        str | None, typer.Option(help="An empty database to rebuild into (default: a temporary SQLite file).")
    ] = None,
    decoder: Annotated[
        str,
        typer.Option(
            help="codec: web3's ABI codec per log (default); events: web3's "
            "ContractEvent.process_log (the reference, ~10x slower)."
        ),
    ] = "codec",
) -> None:
    """Rebuild the read model from the chain along an independent path (fetch and decode through
    web3, aggregates by full recount) and compare it, table by table, with the live read model up to its
    checkpoint. Exit 1 if any row differs."""
    from ledger.audit.verify import verify as rebuild_and_compare
    from ledger.chain.audit_source import DecoderKind
    from ledger.chain.manifest import load_manifest
    from ledger.chain.node import connect

    decoders: dict[str, DecoderKind] = {"codec": "codec", "events": "events"}
    kind = decoders.get(decoder)
    if kind is None:
        fail(LedgerError(f"--decoder must be codec or events, not {decoder!r}"))
    settings = get_settings()
    live = current_engine(settings.database.url)
    try:
        report = rebuild_and_compare(
            connect(settings.rpc.url),
            load_manifest(settings.deployment.manifest_path),
            live,
            scratch_url=scratch,
            decoder=kind,
        )
    except LedgerError as exc:
        fail(exc)
    for line in report.lines():
        typer.echo(line)
    if not report.equal:
        raise typer.Exit(1)
