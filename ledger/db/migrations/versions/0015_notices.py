"""notices: reminders and outcomes of commitments shown to the enterprise, each made once

Revision ID: 0015_notices
Revises: 0014_evidence
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015_notices"
down_revision = "0014_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enterprise_notices",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("enterprise_uscc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("project_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("commitment_number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("transaction_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("notified_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("enterprise_notices") as batch:
        batch.create_index("ux_enterprise_notices_once", ["commitment_number", "kind", "due_date"], unique=True)
        batch.create_index("ix_enterprise_notices_enterprise", ["enterprise_uscc", "id"], unique=False)
        batch.create_index("ix_enterprise_notices_notified", ["notified_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("enterprise_notices") as batch:
        batch.drop_index("ix_enterprise_notices_notified")
        batch.drop_index("ix_enterprise_notices_enterprise")
        batch.drop_index("ux_enterprise_notices_once")
    op.drop_table("enterprise_notices")
