"""`ledger credit export`: the credit events bulk export (as GET /v1/regulator/credit-events) to a
file or stdout, for a batch intake run where the database is."""

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.common import current_engine, fail
from ledger.core.settings import get_settings

credit = typer.Typer(no_args_is_help=True, help="The credit record: bulk export.")


def _moment(value: str, name: str) -> datetime:
    """An ISO 8601 time with its offset (a time without one is ambiguous: refused)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint=name) from None
    if moment.tzinfo is None:
        raise typer.BadParameter(f"{value!r} has no UTC offset (e.g. +08:00 or Z)", param_hint=name)
    return moment


@credit.command("export")
def export(
    since: Annotated[str, typer.Option(help="From this time (block time, inclusive), ISO 8601 with offset.")],
    until: Annotated[str, typer.Option(help="To this time (block time, exclusive), ISO 8601 with offset.")],
    format: Annotated[str, typer.Option(help="jsonl (JSON Lines) or csv.")] = "jsonl",
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Every credit event the chain recorded in [since, until), one per line."""
    from sqlmodel import Session

    from ledger.domain.credit_export import as_csv, as_json_lines, credit_event_export
    from ledger.domain.errors import ValidationFailed

    if format not in ("jsonl", "csv"):
        raise typer.BadParameter(f"must be jsonl or csv, not {format!r}", param_hint="--format")
    start, end = _moment(since, "--since"), _moment(until, "--until")
    with Session(current_engine(get_settings().database.url)) as session:
        try:
            records = credit_event_export(session, since=start, until=end)
        except ValidationFailed as exc:
            fail(exc)
    lines = as_json_lines(records) if format == "jsonl" else as_csv(records)
    if output is None:
        sys.stdout.writelines(lines)
        return
    with output.open("w", encoding="utf-8", newline="") as out:
        out.writelines(lines)
    typer.echo(f"{len(records)} credit events → {output}", err=True)
