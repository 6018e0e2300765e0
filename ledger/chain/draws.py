"""A draw's history read straight from the node (not the read model): what `ledger draw verify`
checks the published pools against."""

from ledger.chain.events import decode_log
from ledger.chain.manifest import Manifest
from ledger.chain.rpc import JsonRpc


def draw_events(rpc: JsonRpc, manifest: Manifest, draw: bytes) -> list[tuple[str, dict]]:
    """Every event of `draw` on every InspectionDraws deployment, in chain order, as (name, args)."""
    deployments = [c for c in manifest.contracts if c.name == "InspectionDraws"]
    if not deployments:
        return []
    logs = rpc.call(
        "eth_getLogs",
        [
            {
                "address": [c.address for c in deployments],
                "fromBlock": hex(min(c.deployed_block for c in deployments)),
                "toBlock": "latest",
                "topics": [None, "0x" + draw.hex()],  # every event of the contract indexes the draw first
            }
        ],
    )
    decoded = [log for log in map(decode_log, logs) if log is not None and log.event is not None]
    decoded.sort(key=lambda log: (log.block_number, log.log_index))
    return [(log.event, log.args) for log in decoded if log.event is not None]


def block_hash(rpc: JsonRpc, number: int) -> bytes | None:
    """The hash of block `number` on the node's chain now; None when it has no such block."""
    block = rpc.block(number)
    return bytes.fromhex(block["hash"][2:]) if block else None
