"""`ledger reconcile`: the three-way reconciliation now (approval projects ↔ tax statements ↔ chain ↔
read model), stored as a run the regulator's dashboard shows; exit 1 when it found anything."""

from typing import Annotated

import typer

from ledger.cli.common import current_engine
from ledger.core.settings import get_settings


def reconcile(
    audit: Annotated[
        bool, typer.Option(help="Also audit the read model against the chain (rebuilds it from the node).")
    ] = True,
) -> None:
    """Run every reconciliation check now and print the counts and findings."""
    from sqlmodel import Session

    from ledger.audit.verify import live_audit
    from ledger.domain import reconciliation
    from ledger.domain.chain_time import chain_clock

    settings = get_settings()
    engine = current_engine(settings.database.url)
    with Session(engine) as session:
        run_id = reconciliation.reconcile(
            session,
            now=chain_clock().now(),
            sweep_slack_seconds=2 * settings.worker.overdue_sweep_seconds,
            audit=live_audit(settings.rpc.url, settings.deployment.manifest_path, engine) if audit else None,
        )
        session.commit()
        run = reconciliation.get_run(session, run_id=run_id)
        findings = reconciliation.run_findings(session, run_id=run_id)
    typer.echo(f"reconciliation run {run.run_id}: {run.total} finding(s); checked {run.checked}")
    for kind, count in run.counts.items():
        typer.echo(f"  {kind:<26} {count}")
    for f in findings:
        typer.echo(f"{f.kind}\t{f.subject}\t{f.detail}\t{' '.join(f.proofs)}")
    if run.total:
        raise typer.Exit(1)
