"""The pools the office publishes for each inspection draw (双随机、一公开): the candidate
commitments and the inspector roster as committed on chain (by their hashes), so that anyone can
recompute the selection. Identifiers are 0x-hex bytes32 in canonical (ascending) order; inspectors
are `keccak256(inspector code)`, no personal data. Times are unix seconds."""

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel


class InspectionPool(SQLModel, table=True):
    __tablename__ = "inspection_pools"
    draw: str = Field(primary_key=True)  # keccak256 of the draw number, as on chain
    title: str  # what the pool is, e.g. "2026年第一季度 金水区 履约承诺(人防工程)"
    candidates: list[str] = Field(sa_type=JSON)
    inspectors: list[str] = Field(sa_type=JSON)
    published_at: float
