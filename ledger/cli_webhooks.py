"""`ledger webhooks ...`: endpoints, the delivery history, manual redelivery."""

from typing import Annotated

import typer

from ledger.settings import Settings

webhooks = typer.Typer(no_args_is_help=True, help="Outbound webhooks: endpoints, history, redeliver.")


def _session():
    from sqlmodel import Session

    from ledger.db.engine import make_engine, migrate

    engine = make_engine(Settings().database_url)
    migrate(engine)
    return Session(engine)


@webhooks.command("add")
def add(subscriber: Annotated[str, typer.Option(help="The receiving system, e.g. approval or tax-bureau.")],
        url: Annotated[str, typer.Option(help="Where notices are POSTed.")],
        event: Annotated[list[str], typer.Option(help="payment.recorded, clearance.changed, commitment.overdue, "
                                                      "commitment.breached (repeat the option).")]) -> None:
    """Register an endpoint for some events."""
    from pydantic import ValidationError

    from ledger.domain.schemas import WebhookEndpointCreate
    from ledger.integration.webhooks import add_endpoint

    try:
        endpoint = WebhookEndpointCreate(subscriber=subscriber, url=url, events=event)
    except ValidationError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    with _session() as session:
        endpoint_id = add_endpoint(session, endpoint=endpoint)
        session.commit()
    typer.echo(f"endpoint {endpoint_id}: {subscriber} <- {', '.join(event)} at {url}")


@webhooks.command("history")
def history(subscriber: Annotated[str | None, typer.Option(help="Only this subscriber.")] = None,
            limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20) -> None:
    """The latest deliveries and their state."""
    from ledger.integration.webhooks import deliveries

    with _session() as session:
        for d in deliveries(session, subscriber=subscriber, limit=limit):
            typer.echo(f"{d.delivery_id} {d.created_at:%Y-%m-%d %H:%M:%S} {d.subscriber} {d.event} {d.project_code} "
                       f"{d.status} attempts={d.attempts} last={d.last_status_code or d.last_error or '-'}")


@webhooks.command("redeliver")
def redeliver(delivery_id: str) -> None:
    """Send a delivery again now (also one already delivered)."""
    from ledger.domain.errors import NotFound
    from ledger.integration.webhooks import redeliver as again

    with _session() as session:
        try:
            again(session, delivery_id=delivery_id)
        except NotFound as exc:
            typer.secho(f"error: {exc}", fg="red", err=True)
            raise typer.Exit(1) from None
        session.commit()
    typer.echo(f"{delivery_id}: queued again")
