"""The pools the office publishes for each inspection draw (双随机、一公开): the candidate
commitments and the inspector roster as committed on chain (by their hashes), so that anyone can
recompute the selection. Identifiers are 0x-hex bytes32 in canonical (ascending) order; inspectors
are `keccak256(inspector code)`, no personal data. Times are unix seconds."""

import datetime as dt

from sqlalchemy import JSON, BigInteger, Column, Date, Index
from sqlmodel import Field, SQLModel


class InspectionPool(SQLModel, table=True):
    __tablename__ = "inspection_pools"
    draw: str = Field(primary_key=True)  # keccak256 of the draw number, as on chain
    title: str  # what the pool is, e.g. "2026年第一季度 金水区 履约承诺(人防工程)"
    candidates: list[str] = Field(sa_type=JSON)
    inspectors: list[str] = Field(sa_type=JSON)
    published_at: float


class OfficeDraw(SQLModel, table=True):
    """A draw the office ran through the ledger (ledger.domain.draw_office): what its candidate pool
    was built from (commitments fulfilled in a period, by kind and district, from the read model)."""

    __tablename__ = "office_draws"
    draw_number: str = Field(primary_key=True)  # e.g. DRAW-2026-Q1-410105; on chain as keccak256 of it
    draw: str = Field(unique=True)  # the on-chain identifier, 0x-hex
    title: str
    period_start: dt.date = Field(sa_column=Column(Date, nullable=False))  # fulfilled on or after
    period_end: dt.date = Field(sa_column=Column(Date, nullable=False))  # … and on or before
    commitment_kind: str | None = None  # None: every kind
    district: str | None = None  # None: every district
    commitments_to_pick: int
    inspectors_to_pick: int
    reveal_block: int = Field(sa_type=BigInteger)
    actor: str
    command_id: str
    created_at: float


class InspectionReport(SQLModel, table=True):
    """One inspection's outcome as the office recorded it: the report kept in the document store
    (ledger.domain.documents) under its digest, which goes on chain as the outcome's document hash."""

    __tablename__ = "inspection_reports"
    __table_args__ = (Index("ix_inspection_reports_draw", "draw_number", "commitment_number"),)
    id: str = Field(primary_key=True)
    draw_number: str
    commitment_number: str
    outcome: str  # conforms, minor_findings, false_commitment
    document_digest: str  # hex, the document store's name of the report
    actor: str
    command_id: str
    created_at: float


class InspectionSelection(SQLModel, table=True):
    """The commitments a revealed draw selected, recomputed from its seed and its published pools
    (ledger.domain.inspection_draws.select): what the credit scorer joins an outcome to, so an
    outcome for a commitment the draw did not select is not scored. Keyed by the seed, so a reveal
    a reorg replaced leaves rows that no longer join."""

    __tablename__ = "inspection_selections"
    chain_id: int = Field(primary_key=True, sa_type=BigInteger)
    draw: str = Field(primary_key=True)
    seed: str = Field(primary_key=True)
    commitment: str = Field(primary_key=True)
    position: int  # the order it was picked in (0 first)
