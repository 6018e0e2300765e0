"""Response models of the API."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class ChainHealth(BaseModel):
    reachable: bool
    chain_id: int | None
    head_block: int | None
    head_time: datetime | None = Field(
        description="the head block's timestamp: the chain's clock, which judges "
        "fact times (a paid_at may be at most 15 min after it)"
    )
    server_time: datetime = Field(description="this server's clock when it asked")
    clock_offset_seconds: int | None = Field(
        description="head_time − server_time: how far the chain's clock runs ahead (+) of or behind (−) this server's"
    )


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
                    "chain": {
                        "reachable": True,
                        "chain_id": 31337,
                        "head_block": 42,
                        "head_time": "2026-11-29T01:30:45Z",
                        "server_time": "2026-11-29T01:30:00Z",
                        "clock_offset_seconds": 45,
                    },
                    "indexer": {"head_block": 41, "lag_blocks": 1},
                    "contracts": {"FeeLedger": "0x5FbDB2315678afecb367f032d93F642f64180aa3"},
                    "problems": [],
                }
            ]
        }
    }
