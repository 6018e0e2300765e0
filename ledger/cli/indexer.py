"""`ledger index` and `ledger reindex`: the read model mirrored from the chain."""

from typing import Annotated

import typer

from ledger.cli.common import fail
from ledger.core.errors import LedgerError
from ledger.core.settings import get_settings


def _stop_on_signals(indexer) -> None:
    """SIGINT/SIGTERM stop the indexer between batches; what is committed stays."""
    import signal

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: indexer.stop.set())


def index(
    follow: Annotated[bool, typer.Option(help="Keep polling for new blocks until stopped.")] = False,
    rebuild: Annotated[
        bool, typer.Option(help="If the chain's genesis changed, wipe the read model and rebuild it.")
    ] = False,
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
            typer.echo(f"indexer {indexer.owner} following chain {indexer.chain_id}")  # the lease owner
            indexer.follow()
        finally:
            indexer.release()  # a standby (or the next command) may take over at once
    except LedgerError as exc:
        fail(exc)


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
        fail(exc)
