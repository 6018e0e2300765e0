"""`ledger draw`: random inspections (双随机、一公开) re-checked by anyone. `verify` recomputes a
draw's selection from its published pools and the chain alone (no database): the pools must hash
to what was committed, the seed must be keccak256(reveal block hash ‖ commitment) with the node's
reveal block hash, and the selection and every recorded outcome must follow from them."""

import json
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli.common import fail
from ledger.core.errors import LedgerError
from ledger.core.settings import get_settings

draw = typer.Typer(no_args_is_help=True, help="Random inspection draws: verify a draw from its published pools.")


@draw.command("verify")
def verify(
    pools: Annotated[Path, typer.Option(help="The draw's published pools (JSON, as /v1/public/inspections gives).")],
) -> None:
    """Recompute the draw's selection from the pools and the chain; exit 1 on any disagreement."""
    from pydantic import ValidationError

    from ledger.chain.draws import block_hash, draw_events
    from ledger.chain.manifest import load_manifest
    from ledger.chain.rpc import JsonRpc
    from ledger.domain.inspection_draws import PublishedDrawFile, fold_draw
    from ledger.domain.inspection_draws import verify as verify_draw

    try:
        published = PublishedDrawFile.model_validate(json.loads(pools.read_text(encoding="utf-8"))).published()
    except (OSError, ValueError, ValidationError) as exc:
        raise typer.BadParameter(f"{pools} is not a draw's published pools: {exc}", param_hint="--pools") from None
    settings = get_settings()
    try:
        rpc = JsonRpc(settings.rpc.url)
        record = fold_draw(
            published.draw, draw_events(rpc, load_manifest(settings.deployment.manifest_path), published.draw)
        )
        if record is None:
            fail(LedgerError(f"no draw 0x{published.draw.hex()} was committed on this chain"))
        canonical = block_hash(rpc, record.terms.reveal_block) if record.seed is not None else None
    except LedgerError as exc:
        fail(exc)
    problems, selection = verify_draw(published, record, canonical)
    for problem in problems:
        typer.secho(f"MISMATCH: {problem}", fg="red", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"draw 0x{published.draw.hex()} attempt {record.terms.attempt}: pools match the commitment")
    if selection is None or record.seed is None or record.reveal_block_hash is None:
        typer.echo(f"not revealed yet (reveal block {record.terms.reveal_block})")
        return
    typer.echo(f"seed 0x{record.seed.hex()} (block {record.terms.reveal_block}, 0x{record.reveal_block_hash.hex()})")
    for commitment in selection.commitments:
        outcome = record.outcomes.get(commitment, "not inspected yet")
        typer.echo(f"selected commitment 0x{commitment.hex()}: {outcome}")
    for inspector in selection.inspectors:
        typer.echo(f"selected inspector 0x{inspector.hex()}")
    typer.echo("verified: the selection and every outcome follow from the seed and the published pools")


@draw.command("publish")
def publish(
    pools: Annotated[Path, typer.Option(help="The draw's pools (JSON: draw, candidates, inspectors), as committed.")],
    title: Annotated[str, typer.Option(help="What the pool is, e.g. 2026年第一季度 金水区 人防工程承诺.")],
) -> None:
    """Publish a draw's pools (the office; once, unchangeable) for /v1/public/inspections and the public page."""
    from pydantic import ValidationError
    from sqlmodel import Session

    from ledger.cli.common import current_engine
    from ledger.domain.errors import ValidationFailed
    from ledger.domain.inspection_draws import PublishedDrawFile
    from ledger.domain.inspections import publish_pools

    try:
        body = PublishedDrawFile.model_validate(json.loads(pools.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError) as exc:
        raise typer.BadParameter(f"{pools} is not a draw's pools: {exc}", param_hint="--pools") from None
    with Session(current_engine(get_settings().database.url)) as session:
        try:
            publish_pools(session, pools=body, title=title)
        except ValidationFailed as exc:
            fail(exc)
        session.commit()
    typer.echo(
        f"published the pools of draw {body.draw}: {len(body.candidates)} candidates, {len(body.inspectors)} inspectors"
    )
