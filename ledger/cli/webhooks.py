"""`ledger webhooks ...`: endpoints (add, list, enable, remove), the delivery history, manual redelivery."""

from typing import Annotated

import typer

from ledger.cli.common import current_engine
from ledger.core.settings import get_settings

webhooks = typer.Typer(no_args_is_help=True, help="Outbound webhooks: endpoints, history, redeliver.")
WHEN = "%Y-%m-%d %H:%M:%S"


def _session():
    from sqlmodel import Session

    return Session(current_engine(get_settings().database.url))


@webhooks.command("add")
def add(
    subscriber: Annotated[str, typer.Option(help="The receiving system, e.g. approval or tax-bureau.")],
    url: Annotated[str, typer.Option(help="Where notices are POSTed.")],
    event: Annotated[
        list[str],
        typer.Option(
            help="payment.recorded, clearance.changed, commitment.overdue, commitment.breached (repeat the option)."
        ),
    ],
    projects: Annotated[str, typer.Option(help="all, or own: only projects the subscriber registered.")] = "all",
) -> None:
    """Register an endpoint for some events."""
    from pydantic import ValidationError

    from ledger.webhooks.delivery import add_endpoint
    from ledger.webhooks.schemas import WebhookEndpointCreate

    try:
        endpoint = WebhookEndpointCreate(subscriber=subscriber, url=url, events=event, projects=projects)
    except ValidationError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    with _session() as session:
        endpoint_id = add_endpoint(session, endpoint=endpoint)
        session.commit()
    typer.echo(f"endpoint {endpoint_id}: {subscriber} <- {', '.join(event)} at {url}")


@webhooks.command("list")
def list_endpoints(subscriber: Annotated[str | None, typer.Option(help="Only this subscriber.")] = None) -> None:
    """Every endpoint and its state: active, or disabled (since when, and why)."""
    from ledger.webhooks.delivery import endpoints

    with _session() as session:
        for e in endpoints(session, subscriber=subscriber):
            state = e.status if e.disabled_at is None else f"disabled since {e.disabled_at:{WHEN}}: {e.disabled_reason}"
            typer.echo(
                f"{e.endpoint_id} {e.subscriber} {e.url} events={','.join(e.events)} projects={e.projects} "
                f"pending={e.pending} {state}"
            )


@webhooks.command("enable")
def enable(endpoint_id: int) -> None:
    """Send to a disabled endpoint again: its waiting notices first, in order."""
    _change(endpoint_id, "enable_endpoint", "enabled")


@webhooks.command("remove")
def remove(endpoint_id: int) -> None:
    """Remove an endpoint: nothing more is sent to it, its pending notices are cancelled."""
    _change(endpoint_id, "remove_endpoint", "removed")


def _change(endpoint_id: int, action: str, done: str) -> None:
    from ledger.domain.errors import NotFound
    from ledger.webhooks import delivery as hooks

    with _session() as session:
        try:
            getattr(hooks, action)(session, endpoint_id=endpoint_id)
        except NotFound as exc:
            typer.secho(f"error: {exc}", fg="red", err=True)
            raise typer.Exit(1) from None
        session.commit()
    typer.echo(f"endpoint {endpoint_id}: {done}")


@webhooks.command("history")
def history(
    subscriber: Annotated[str | None, typer.Option(help="Only this subscriber.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
) -> None:
    """The latest deliveries and their state."""
    from ledger.webhooks.delivery import deliveries

    with _session() as session:
        for d in deliveries(session, subscriber=subscriber, limit=limit):
            typer.echo(
                f"{d.delivery_id} {d.created_at:{WHEN}} {d.subscriber} {d.event} {d.project_code} "
                f"{d.status} attempts={d.attempts} last={d.last_status_code or d.last_error or '-'}"
            )


@webhooks.command("redeliver")
def redeliver(delivery_id: str) -> None:
    """Send a delivery again now (also one already delivered)."""
    from ledger.domain.errors import NotFound
    from ledger.webhooks.delivery import redeliver as again

    with _session() as session:
        try:
            again(session, delivery_id=delivery_id)
        except NotFound as exc:
            typer.secho(f"error: {exc}", fg="red", err=True)
            raise typer.Exit(1) from None
        session.commit()
    typer.echo(f"{delivery_id}: queued again")
