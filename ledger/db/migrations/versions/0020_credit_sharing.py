"""credit sharing: credit events pushed to the city's credit platform (in order per enterprise), every
attempt, and how far the chain has been scanned for new credit events

Revision ID: 0020_credit_sharing
Revises: 0019_reconciliation_runs_once
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0020_credit_sharing"
down_revision = "0019_reconciliation_runs_once"
branch_labels = None
depends_on = None

SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "credit_pushes",
        sa.Column("seq", SEQUENCE, nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("enterprise_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("enterprise_sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Float(), nullable=False),
        sa.Column("claimed_until", sa.Float(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("delivered_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_credit_pushes_due", "credit_pushes", ["status", "next_attempt_at"], unique=False)
    op.create_index("ix_credit_pushes_queue", "credit_pushes", ["enterprise_key", "seq"], unique=False)
    op.create_table(
        "credit_push_attempts",
        sa.Column("id", SEQUENCE, nullable=False),
        sa.Column("push_seq", sa.BigInteger(), nullable=False),
        sa.Column("attempted_at", sa.Float(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_credit_push_attempts_push_seq"), "credit_push_attempts", ["push_seq"], unique=False)
    op.create_table(
        "credit_sharing_cursor",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("scan_from", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id"),
    )


def downgrade() -> None:
    op.drop_table("credit_sharing_cursor")
    op.drop_index(op.f("ix_credit_push_attempts_push_seq"), table_name="credit_push_attempts")
    op.drop_table("credit_push_attempts")
    op.drop_index("ix_credit_pushes_queue", table_name="credit_pushes")
    op.drop_index("ix_credit_pushes_due", table_name="credit_pushes")
    op.drop_table("credit_pushes")
