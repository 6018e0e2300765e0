"""`ledger db …`: the database's schema, upgraded as an explicit step (no service upgrades it when it starts)."""

import typer

from ledger.core.settings import load_settings

db = typer.Typer(no_args_is_help=True, help="The database's schema: its revision, and the upgrade to this release's.")


@db.command("upgrade")
def upgrade() -> None:
    """Bring the schema to this release's revision: run it after installing a release, before starting the
    services (they refuse another revision). Safe to run twice, and from two places at once (on PostgreSQL
    the second waits for the first and finds nothing left to do)."""
    from ledger.db.engine import make_engine
    from ledger.db.schema import head_revision, upgrade_schema

    upgrade_schema(make_engine(load_settings().database_url))
    typer.echo(f"database schema is at revision {head_revision()}")


@db.command("current")
def current() -> None:
    """Print the database's revision and this release's; exit 1 when they differ."""
    from ledger.db.engine import make_engine
    from ledger.db.schema import current_revision, head_revision

    revision, head = current_revision(make_engine(load_settings().database_url)), head_revision()
    typer.echo(f"database: {revision or 'no schema'}; this release: {head}")
    if revision != head:
        raise typer.Exit(1)
