"""indexer operations: address set and counts with the checkpoint, status, errors by kind,
undecoded logs in raw_events

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-29 12:20:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chain_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("addresses", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("events_indexed", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("unknown_events", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("reorgs", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("raw_events", schema=None) as batch_op:
        batch_op.alter_column("event", existing_type=sqlmodel.sql.sqltypes.AutoString(), nullable=True)
    op.create_table(
        "indexer_status",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("head_block", sa.BigInteger(), nullable=True),
        sa.Column("polled_at", sa.Float(), nullable=True),
        sa.Column("halt_kind", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("halt_message", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("halted_at", sa.Float(), nullable=True),
        sa.Column("last_error_kind", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("last_error_message", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("last_error_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("chain_id"),
    )
    op.create_table(
        "indexer_errors",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("indexer_errors")
    op.drop_table("indexer_status")
    with op.batch_alter_table("raw_events", schema=None) as batch_op:
        batch_op.alter_column("event", existing_type=sqlmodel.sql.sqltypes.AutoString(), nullable=False)
    with op.batch_alter_table("chain_state", schema=None) as batch_op:
        batch_op.drop_column("reorgs")
        batch_op.drop_column("unknown_events")
        batch_op.drop_column("events_indexed")
        batch_op.drop_column("addresses")
