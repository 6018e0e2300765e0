"""Deploy the contracts (FeeLedger and CommitmentRegistry v3, InspectionDraws v1), grant the roles,
publish rate tables, seal the imports unless one is planned, hand the admin role over, and write
the manifest; reuse a live deployment."""

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3

from ledger.chain.artifacts import CONTRACT_NAMES, IMPORTING_CONTRACTS, load_artifact
from ledger.chain.manifest import ContractDeployment, Manifest
from ledger.chain.node import Sender
from ledger.chain.rate_tables import SAMPLE_RATE_TABLE, RateTable
from ledger.core.errors import ManifestError
from ledger.core.roles import ROLE_CONTRACTS, role_id

DEV_CHAIN_ID = 31337  # the Hardhat node of hardhat-local/


@dataclass(frozen=True)
class DeployOptions:
    """What a deployment is configured with (the coordinator maps settings onto these).

    * `admin`: the account DEFAULT_ADMIN_ROLE is handed to (a multisig or timelock in
      production). The deployer starts the two-step transfer; `admin` completes it with
      `acceptDefaultAdminTransfer()` once `admin_delay` has passed. None: the deployer keeps it.
    * `admin_delay`: seconds a DEFAULT_ADMIN_ROLE transfer waits (AccessControlDefaultAdminRules).
    * `overdue_grace_period`: seconds after a due date before a commitment may be marked overdue.
    * `rate_tables`: tables the assessor key publishes right after deployment; None means the
      labelled sample table on the local development chain and none elsewhere.
    * `import_planned`: leave the contracts' import window open for a migration from an earlier
      version (the admin imports, then calls `sealImport()`; the first live write seals it too).
      False: the deployment seals the import at once, so nothing can ever be imported beside
      live records.
    """

    admin: str | None = None
    admin_delay: int = 0
    overdue_grace_period: int = 7 * 86_400
    rate_tables: tuple[RateTable, ...] | None = None
    import_planned: bool = False


def deploy_options(settings, *, import_planned: bool = False) -> DeployOptions:
    """The DeployOptions that LEDGER_ADMIN_ADDRESS, LEDGER_ADMIN_DELAY_SECONDS and
    LEDGER_OVERDUE_GRACE_SECONDS ask for; `import_planned` comes from `ledger deploy --import-planned`
    (a migration is a one-off step of the operator, not a standing setting)."""
    return DeployOptions(
        admin=settings.deployment.admin_address,
        admin_delay=settings.deployment.admin_delay_seconds,
        overdue_grace_period=settings.deployment.overdue_grace_seconds,
        import_planned=import_planned,
    )


def genesis_hash(w3: Web3) -> str:
    return w3.eth.get_block(0)["hash"].to_0x_hex()


def is_live(w3: Web3, manifest: Manifest) -> bool:
    """Whether `manifest` describes contracts that exist, unchanged, on this chain."""
    if manifest.chain_id != w3.eth.chain_id or manifest.genesis_hash != genesis_hash(w3):
        return False
    return all(
        "0x" + keccak(w3.eth.get_code(Web3.to_checksum_address(c.address))).hex() == c.code_hash
        for c in manifest.contracts
    )


def _constructor_args(name: str, deployer: str, options: DeployOptions) -> tuple:
    if name == "CommitmentRegistry":
        return (options.admin_delay, deployer, options.overdue_grace_period)
    return (options.admin_delay, deployer)


def deploy(
    w3: Web3,
    signers: dict[str, LocalAccount],
    *,
    existing: Manifest | None = None,
    options: DeployOptions = DeployOptions(),
) -> tuple[Manifest, bool]:
    """Deploy every contract (or reuse `existing` when it is live). Returns (manifest, deployed_now)."""
    if existing is not None and is_live(w3, existing):
        return existing, False
    deployer = Sender(w3, signers["DEFAULT_ADMIN_ROLE"])
    deployments, contracts = [], {}
    for name in CONTRACT_NAMES:
        artifact = load_artifact(name)
        factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        receipt = deployer.send(factory.constructor(*_constructor_args(name, deployer.account.address, options)))
        address = receipt["contractAddress"]
        code_hash = "0x" + keccak(w3.eth.get_code(address)).hex()
        if code_hash != "0x" + keccak(bytes.fromhex(artifact["deployedBytecode"][2:])).hex():
            raise ManifestError(f"{name} at {address} does not carry the compiled runtime code")
        deployments.append(
            ContractDeployment(
                name=name,
                address=address,
                deployed_block=receipt["blockNumber"],
                transaction_hash=receipt["transactionHash"].to_0x_hex(),
                code_hash=code_hash,
            )
        )
        contracts[name] = w3.eth.contract(address=address, abi=artifact["abi"])

    roles: dict[str, dict[str, list[str]]] = {
        name: {"DEFAULT_ADMIN_ROLE": [deployer.account.address]} for name in contracts
    }
    for role, names in ROLE_CONTRACTS.items():
        holder = signers[role].address
        for name in names:
            deployer.send(contracts[name].functions.grantRole(role_id(role), holder))
            roles[name][role] = [holder]

    tables = options.rate_tables
    if tables is None:
        tables = (SAMPLE_RATE_TABLE,) if w3.eth.chain_id == DEV_CHAIN_ID else ()
    if tables:
        assessor = Sender(w3, signers["ASSESSOR_ROLE"])
        for table in tables:
            assessor.send(
                contracts["FeeLedger"].functions.publishRateTable(
                    table.version, table.effective_from, table.basis_hash, table.district_rates()
                )
            )

    if not options.import_planned:
        for name in IMPORTING_CONTRACTS:
            deployer.send(contracts[name].functions.sealImport())

    pending_admin = None
    if options.admin and Web3.to_checksum_address(options.admin) != deployer.account.address:
        pending_admin = Web3.to_checksum_address(options.admin)
        for contract in contracts.values():
            deployer.send(contract.functions.beginDefaultAdminTransfer(pending_admin))
    manifest = Manifest(
        chain_id=w3.eth.chain_id,
        genesis_hash=genesis_hash(w3),
        contracts=deployments,
        roles=roles,
        pending_admin=pending_admin,
    )
    return manifest, True
