"""`ledger credit export`: the credit events bulk export (as GET /v1/regulator/credit-events) to a
file or stdout, for a batch intake run where the database is. `ledger credit pushes`, `attempts` and
`redeliver`: the pushes to the credit platform (ledger.sharing.push), their history, a push sent again."""

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.common import current_engine, fail
from ledger.core.settings import get_settings

credit = typer.Typer(no_args_is_help=True, help="The credit record: bulk export, pushes to the credit platform.")
WHEN = "%Y-%m-%d %H:%M:%S"


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


def _session():
    from sqlmodel import Session

    return Session(current_engine(get_settings().database.url))


@credit.command("pushes")
def pushes(
    status: Annotated[str | None, typer.Option(help="Only pending, sending or delivered.")] = None,
    enterprise_key: Annotated[str | None, typer.Option(help="Only this enterprise (its on-chain key).")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
) -> None:
    """The pushes to the credit platform and their state (with the backlog by status first)."""
    from ledger.sharing.push import backlog
    from ledger.sharing.push import pushes as listed

    url = get_settings().credit_sharing.url
    with _session() as session:
        counts = backlog(session)
        typer.echo(
            f"credit platform: {url or 'sharing off (LEDGER_CREDIT_SHARING_URL unset)'}; "
            + ", ".join(f"{name} {counts.get(name, 0)}" for name in ("pending", "sending", "delivered"))
        )
        for p in listed(session, status=status, enterprise_key=enterprise_key, limit=limit):
            typer.echo(
                f"{p.event_id} {p.created_at:{WHEN}} {p.enterprise_key[:10]}… #{p.enterprise_sequence} {p.kind} "
                f"{p.status} attempts={p.attempts} last={p.last_status_code or p.last_error or '-'}"
            )


@credit.command("attempts")
def attempts(event_id: str) -> None:
    """Every attempt to push one credit event: when, the answer, how long it took."""
    from ledger.domain.errors import NotFound
    from ledger.sharing.push import attempts as history

    with _session() as session:
        try:
            rows = history(session, event_id=event_id)
        except NotFound as exc:
            fail(exc)
    for a in rows:
        typer.echo(f"{a.attempted_at:{WHEN}} {a.status_code or '-'} {a.duration_ms} ms {a.error or ''}".rstrip())


@credit.command("redeliver")
def redeliver(event_id: str) -> None:
    """Push a credit event again (also one already delivered: the platform deduplicates by event id),
    as soon as it is first in its enterprise's line."""
    from ledger.domain.errors import InvalidState, NotFound
    from ledger.sharing.push import redeliver as again

    with _session() as session:
        try:
            again(session, event_id=event_id)
        except (NotFound, InvalidState) as exc:
            fail(exc)
        session.commit()
    typer.echo(f"{event_id}: queued again")
