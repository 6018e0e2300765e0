"""Deploy the contracts, grant the roles and write the manifest; reuse a live deployment."""

from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3

from ledger.artifacts import CONTRACT_NAMES, load_artifact
from ledger.chain import Sender
from ledger.errors import ManifestError
from ledger.manifest import ContractDeployment, Manifest
from ledger.roles import ROLE_CONTRACTS, role_id


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


def deploy(w3: Web3, signers: dict[str, LocalAccount], *, existing: Manifest | None = None) -> tuple[Manifest, bool]:
    """Deploy every contract (or reuse `existing` when it is live). Returns (manifest, deployed_now)."""
    if existing is not None and is_live(w3, existing):
        return existing, False
    admin = Sender(w3, signers["DEFAULT_ADMIN_ROLE"])
    deployments, contracts = [], {}
    for name in CONTRACT_NAMES:
        artifact = load_artifact(name)
        factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        receipt = admin.send(factory.constructor(admin.account.address))
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

    roles: dict[str, dict[str, list[str]]] = {name: {"DEFAULT_ADMIN_ROLE": [admin.account.address]} for name in contracts}
    for role, names in ROLE_CONTRACTS.items():
        holder = signers[role].address
        for name in names:
            admin.send(contracts[name].functions.grantRole(role_id(role), holder))
            roles[name][role] = [holder]
    manifest = Manifest(chain_id=w3.eth.chain_id, genesis_hash=genesis_hash(w3), contracts=deployments, roles=roles)
    return manifest, True
