"""Response models of the API."""

from typing import Literal

from pydantic import BaseModel


class ChainHealth(BaseModel):
    reachable: bool
    chain_id: int | None
    head_block: int | None


class IndexerHealth(BaseModel):
    head_block: int | None  # the last block whose events are all in the read model
    lag_blocks: int | None


class HealthPublic(BaseModel):
    status: Literal["ok", "degraded"]
    chain: ChainHealth
    indexer: IndexerHealth
    contracts: dict[str, str]
    problems: list[str]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "status": "ok",
                    "chain": {"reachable": True, "chain_id": 31337, "head_block": 42},
                    "indexer": {"head_block": 41, "lag_blocks": 1},
                    "contracts": {"FeeLedger": "0x5FbDB2315678afecb367f032d93F642f64180aa3"},
                    "problems": [],
                }
            ]
        }
    }
