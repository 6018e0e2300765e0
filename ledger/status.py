"""What `/health` reports: the chain, the deployment and (once indexed) the read model."""

from dataclasses import dataclass

import requests

from ledger.errors import ManifestError
from ledger.manifest import load_manifest
from ledger.settings import Settings


@dataclass(frozen=True)
class ChainStatus:
    reachable: bool
    chain_id: int | None
    head_block: int | None
    contracts: dict[str, str]
    manifest_error: str | None = None


def _rpc(url: str, method: str) -> int:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": []}
    return int(requests.post(url, json=body, timeout=2).json()["result"], 16)


def chain_status(settings: Settings) -> ChainStatus:
    """Reads the manifest and asks the node for its chain id and head, with a short timeout."""
    try:
        manifest = load_manifest(settings.manifest_path)
        contracts, manifest_error = {c.name: c.address for c in manifest.contracts}, None
    except ManifestError as exc:
        contracts, manifest_error = {}, str(exc)
    try:
        chain_id, head = _rpc(settings.rpc_url, "eth_chainId"), _rpc(settings.rpc_url, "eth_blockNumber")
    except (requests.RequestException, KeyError, ValueError):
        return ChainStatus(False, None, None, contracts, manifest_error)
    return ChainStatus(True, chain_id, head, contracts, manifest_error)
