"""What every command group does the same way: one red line for an error, and a database engine that
refuses a schema at another revision."""

from typing import NoReturn

import typer
from sqlalchemy import Engine


def fail(exc: Exception) -> NoReturn:
    typer.secho(f"error: {exc}", fg="red", err=True)
    raise typer.Exit(1)


def current_engine(database_url: str) -> Engine:
    """The database's engine, once its schema is at this code's revision (else one line and exit 1)."""
    from ledger.db.schema import SchemaNotCurrent, engine_at_current_schema

    try:
        return engine_at_current_schema(database_url)
    except SchemaNotCurrent as exc:
        fail(exc)
