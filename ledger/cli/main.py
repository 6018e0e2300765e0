"""The `ledger` command line: the command groups assembled, and the settings checked before any of them runs."""

import typer

from ledger.cli.access import clients, users
from ledger.cli.audit import audit
from ledger.cli.chain import deploy
from ledger.cli.common import fail
from ledger.cli.credit import credit
from ledger.cli.db import db
from ledger.cli.draw import draw
from ledger.cli.indexer import index, reindex
from ledger.cli.keys import keys
from ledger.cli.reconcile import reconcile
from ledger.cli.webhooks import webhooks
from ledger.core.errors import SettingsError
from ledger.core.settings import get_settings

app = typer.Typer(no_args_is_help=True, help="Civil-air-defence fee & commitment ledger.")
app.add_typer(db, name="db")
app.command()(deploy)
app.command()(index)
app.command()(reindex)
app.add_typer(audit, name="audit")
app.add_typer(clients, name="clients")
app.add_typer(users, name="users")
app.add_typer(keys, name="keys")
app.add_typer(webhooks, name="webhooks")
app.add_typer(credit, name="credit")
app.command()(reconcile)
app.add_typer(draw, name="draw")


@app.callback()
def _check_settings() -> None:
    # A bad LEDGER_* value is one line naming the variable, before any command starts.
    try:
        get_settings()
    except SettingsError as exc:
        fail(exc)
