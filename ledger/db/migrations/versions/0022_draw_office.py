"""draw office: the draws the office runs through the ledger (their pool's period, kind and district),
the inspection reports it records (their document digests), and the selections recomputed from each
revealed draw's seed and pools (what the credit scorer joins outcomes to)

Revision ID: 0022_draw_office
Revises: 0021_repair
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0022_draw_office"
down_revision = "0021_repair"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "office_draws",
        sa.Column("draw_number", text(), nullable=False),
        sa.Column("draw", text(), nullable=False),
        sa.Column("title", text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("commitment_kind", text(), nullable=True),
        sa.Column("district", text(), nullable=True),
        sa.Column("commitments_to_pick", sa.Integer(), nullable=False),
        sa.Column("inspectors_to_pick", sa.Integer(), nullable=False),
        sa.Column("reveal_block", sa.BigInteger(), nullable=False),
        sa.Column("actor", text(), nullable=False),
        sa.Column("command_id", text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("draw_number"),
        sa.UniqueConstraint("draw"),
    )
    op.create_table(
        "inspection_reports",
        sa.Column("id", text(), nullable=False),
        sa.Column("draw_number", text(), nullable=False),
        sa.Column("commitment_number", text(), nullable=False),
        sa.Column("outcome", text(), nullable=False),
        sa.Column("document_digest", text(), nullable=False),
        sa.Column("actor", text(), nullable=False),
        sa.Column("command_id", text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_inspection_reports_draw", "inspection_reports", ["draw_number", "commitment_number"])
    op.create_table(
        "inspection_selections",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("draw", text(), nullable=False),
        sa.Column("seed", text(), nullable=False),
        sa.Column("commitment", text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "draw", "seed", "commitment"),
    )


def downgrade() -> None:
    op.drop_table("inspection_selections")
    op.drop_index("ix_inspection_reports_draw", table_name="inspection_reports")
    op.drop_table("inspection_reports")
    op.drop_table("office_draws")
