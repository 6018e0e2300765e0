"""The deployment manifest: the one source of contract addresses."""

import json
from pathlib import Path

from pydantic import BaseModel

from ledger.core.errors import ManifestError


class ContractDeployment(BaseModel):
    name: str
    address: str
    deployed_block: int
    transaction_hash: str
    code_hash: str  # keccak256 of the runtime code, to recognise the deployment on the chain


class Manifest(BaseModel):
    chain_id: int
    genesis_hash: str
    # Every deployment in order; a new version of a contract is appended, never replaces.
    contracts: list[ContractDeployment]
    # contract name -> role name -> holders
    roles: dict[str, dict[str, list[str]]]
    # The account DEFAULT_ADMIN_ROLE is being handed to; it holds the role once it has called
    # acceptDefaultAdminTransfer() on every contract after the admin delay.
    pending_admin: str | None = None

    def latest(self, name: str) -> ContractDeployment:
        for deployment in reversed(self.contracts):
            if deployment.name == name:
                return deployment
        raise ManifestError(f"the manifest has no {name} deployment")

    @property
    def start_block(self) -> int:
        return min(c.deployed_block for c in self.contracts)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.model_dump_json(indent=2) + "\n")
        tmp.replace(path)


def load_manifest(path: Path) -> Manifest:
    if not path.exists():
        raise ManifestError(f"no deployment manifest at {path}; run `ledger deploy`")
    try:
        return Manifest.model_validate(json.loads(path.read_text()))
    except ValueError as exc:
        raise ManifestError(f"the deployment manifest at {path} is invalid: {exc}") from exc
