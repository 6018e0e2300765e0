"""webhooks a client can live with: each endpoint's project filter, failure clock, disabling and removal

Revision ID: 0009_webhooks
Revises: 0008
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009_webhooks"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.add_column(
            sa.Column("projects", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="all")
        )
        batch.add_column(sa.Column("failing_since", sa.Float(), nullable=True))
        batch.add_column(sa.Column("disabled_at", sa.Float(), nullable=True))
        batch.add_column(sa.Column("disabled_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column("removed_at", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        for column in ("removed_at", "disabled_reason", "disabled_at", "failing_since", "projects"):
            batch.drop_column(column)
