"""`ledger deploy`: the contracts on the chain and the manifest that names them."""

import typer

from ledger.cli.common import fail
from ledger.core.errors import LedgerError
from ledger.core.settings import get_settings


def deploy(
    import_planned: bool = typer.Option(
        False,
        "--import-planned",
        help="Leave the import window open for a migration from an earlier version (the admin imports, "
        "then calls sealImport(); the first live write seals it too). Default: sealed at once.",
    ),
) -> None:
    """Deploy the contracts to LEDGER_RPC_URL and write the manifest; reuse a live deployment."""
    from ledger.chain.deploy import deploy as deploy_contracts
    from ledger.chain.deploy import deploy_options
    from ledger.chain.keystore import load_signers
    from ledger.chain.manifest import load_manifest
    from ledger.chain.node import connect

    settings = get_settings()
    try:
        w3 = connect(settings.rpc.url)
        existing = (
            load_manifest(settings.deployment.manifest_path) if settings.deployment.manifest_path.exists() else None
        )
        manifest, deployed = deploy_contracts(
            w3,
            load_signers(settings),
            existing=existing,
            options=deploy_options(settings, import_planned=import_planned),
        )
    except LedgerError as exc:
        fail(exc)
    manifest.save(settings.deployment.manifest_path)
    verb = "deployed" if deployed else "reused the live deployment"
    for c in manifest.contracts:
        typer.echo(f"{verb}: {c.name} at {c.address} (block {c.deployed_block})")
    typer.echo(f"manifest: {settings.deployment.manifest_path}")
