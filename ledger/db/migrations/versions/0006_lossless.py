"""lossless: every uint64 the contracts emit is stored exactly (issue 14 item 3)

PostgreSQL: those BIGINT columns become NUMERIC(20, 0). SQLite keeps its INTEGER columns: the
`Uint64` type stores a value above 2^63−1 as its 8 big-endian bytes (see ledger.db.read_model), which
an INTEGER column of SQLite holds as it is, so neither the schema nor a stored row changes there.

Revision ID: 0006_lossless
Revises: 0006 (block_times, which took the number 0006 before this one was reserved)
Create Date: 2026-12-02 02:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_lossless"
down_revision = "0006"
branch_labels = None
depends_on = None

UINT64_COLUMNS = {
    "rate_tables": ("effective_from",),
    "rates": ("rate_fen_per_m2",),
    "fee_assessments": ("rate_fen_per_m2", "shortfall_area", "base_fen", "due_fen", "due_at"),
    "fee_reliefs": ("due_fen",),
    "fee_adjustments": ("due_fen",),
    "payments": ("amount_fen", "paid_at"),
    "refunds": ("amount_fen", "refunded_at"),
    "refund_owed_changes": ("owed_fen",),
    "fee_account_imports": ("base_fen", "paid_fen", "refunded_fen", "assessed_at", "due_at"),
    "commitment_events": ("due_at", "fact_at"),
    "fee_accounts": ("base_fen", "due_fen", "due_at", "paid_fen", "refunded_fen", "refund_owed_fen"),
    "commitments": ("signed_at", "due_at", "evidence_submitted_at", "decided_at"),
}


def _alter(to_type, using: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: nothing to change (see above)
    for table, columns in UINT64_COLUMNS.items():
        for column in columns:
            op.alter_column(table, column, type_=to_type, postgresql_using=f"{column}::{using}")


def upgrade() -> None:
    _alter(sa.Numeric(20, 0), "numeric(20, 0)")


def downgrade() -> None:
    # a value above 2^63−1 does not fit BIGINT: the downgrade fails on it rather than lose it
    _alter(sa.BigInteger(), "bigint")
