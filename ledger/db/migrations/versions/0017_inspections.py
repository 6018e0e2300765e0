"""inspections: the read model of InspectionDraws (draw history and inspection outcomes), and the
pools the office publishes for each draw

Revision ID: 0017_inspections
Revises: 0016_reconciliation
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger.db.read_model import Uint64

revision = "0017_inspections"
down_revision = "0016_reconciliation"
branch_labels = None
depends_on = None


def _proof() -> list[sa.Column]:
    return [
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("block_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("transaction_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    ]


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "inspection_draw_events",
        *_proof(),
        sa.Column("draw", text(), nullable=False),
        sa.Column("attempt", sa.BigInteger(), nullable=False),
        sa.Column("event", text(), nullable=False),
        sa.Column("reveal_block", Uint64(), nullable=True),
        sa.Column("pool_hash", text(), nullable=True),
        sa.Column("pool_size", sa.BigInteger(), nullable=True),
        sa.Column("roster_hash", text(), nullable=True),
        sa.Column("roster_size", sa.BigInteger(), nullable=True),
        sa.Column("commitments_to_pick", sa.BigInteger(), nullable=True),
        sa.Column("inspectors_to_pick", sa.BigInteger(), nullable=True),
        sa.Column("commitment", text(), nullable=True),
        sa.Column("reveal_block_hash", text(), nullable=True),
        sa.Column("seed", text(), nullable=True),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_index("ix_inspection_draw_events_draw", "inspection_draw_events", ["chain_id", "draw"])
    op.create_table(
        "inspection_outcomes",
        *_proof(),
        sa.Column("draw", text(), nullable=False),
        sa.Column("commitment", text(), nullable=False),
        sa.Column("outcome", text(), nullable=False),
        sa.Column("document_hash", text(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_index("ix_inspection_outcomes_draw", "inspection_outcomes", ["chain_id", "draw"])
    op.create_index("ix_inspection_outcomes_commitment", "inspection_outcomes", ["chain_id", "commitment"])
    op.create_table(
        "inspection_pools",
        sa.Column("draw", text(), nullable=False),
        sa.Column("title", text(), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("inspectors", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("draw"),
    )


def downgrade() -> None:
    op.drop_table("inspection_pools")
    op.drop_index("ix_inspection_outcomes_commitment", table_name="inspection_outcomes")
    op.drop_index("ix_inspection_outcomes_draw", table_name="inspection_outcomes")
    op.drop_table("inspection_outcomes")
    op.drop_index("ix_inspection_draw_events_draw", table_name="inspection_draw_events")
    op.drop_table("inspection_draw_events")
