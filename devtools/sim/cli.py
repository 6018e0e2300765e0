"""`python -m devtools sim`: run the tax and approval simulators against an API."""

import json
import logging
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from ledger.access.signing import load_private_key
from devtools.sdk import LedgerClient
from ledger.core.errors import LedgerError


def sim(
    tax_key: Annotated[
        Path,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="The tax system's private key (PEM; Ed25519, or SM2 under the gm profile).",
        ),
    ],
    approval_key: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="The approval system's private key (PEM).")
    ],
    api_url: Annotated[str, typer.Option(help="The ledger API.")] = "http://127.0.0.1:8000",
    tax_client: Annotated[str, typer.Option(help="The tax system's client id.")] = "tax-bureau",
    approval_client: Annotated[str, typer.Option(help="The approval system's client id.")] = "approval-bureau",
    office_user: Annotated[str, typer.Option(help="An office user (assessments, the breach).")] = "sim-office",
    office_password: Annotated[
        str, typer.Option(envvar="LEDGER_SIM_OFFICE_PASSWORD", prompt=True, hide_input=True)
    ] = ...,
    projects: Annotated[int, typer.Option(min=1)] = 24,
    seed: Annotated[int, typer.Option()] = 2026,
    steady_seconds: Annotated[
        float, typer.Option(help="One action this often after seeding; 0: stop after seeding.")
    ] = 5.0,
    checkout_port: Annotated[int, typer.Option(help="Port of the checkout page (0: none).")] = 8100,
    materials_port: Annotated[
        int, typer.Option(help="Port of the approval system's materials on file, for the declaration guide (0: none).")
    ] = 0,
    credit_platform_port: Annotated[
        int,
        typer.Option(
            help="Port of the simulated credit platform, which takes the ledger's credit event pushes "
            "(LEDGER_CREDIT_SHARING_URL=http://127.0.0.1:PORT/credit-events; 0: none)."
        ),
    ] = 0,
    rpc_url: Annotated[
        str | None,
        typer.Option(
            help="The chain's JSON-RPC URL: payments are stamped with its clock "
            "when it runs ahead of the wall clock (the dev chain does)."
        ),
    ] = None,
) -> None:
    """Drive the approval and tax systems (and an office clerk) through the real API, signed."""
    from devtools.sim.scenario import SimConfig, Simulation

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    config = SimConfig(
        api_url=api_url,
        tax=LedgerClient(api_url, tax_client, load_private_key(tax_key)),
        approval=LedgerClient(api_url, approval_client, load_private_key(approval_key)),
        office_user=office_user,
        office_password=office_password,
        projects=projects,
        seed=seed,
        steady_seconds=steady_seconds,
        checkout_port=checkout_port or None,
        materials_port=materials_port or None,
        rpc_url=rpc_url,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    platform = None
    if credit_platform_port:
        from devtools.sim.credit_platform import CreditPlatform

        platform = CreditPlatform(api_url.rstrip("/") + "/v1/public/keys/webhook", port=credit_platform_port).start()
        logging.getLogger("devtools.sim").info("credit platform taking pushes at %s", platform.push_url)
    try:
        summary = Simulation(config).run(stop)
        if platform is not None:
            summary["credit_platform"] = platform.status()
    except LedgerError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    finally:
        if platform is not None:
            platform.stop()
    typer.echo(json.dumps(summary, ensure_ascii=False))
