"""one lease table for the indexer and the writer, on the database's clock

Revision ID: 0010_one_lease
Revises: 0009_webhooks
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010_one_lease"
down_revision = "0009_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # Live leases carry over (a holder still running keeps its lease); both held unix seconds.
    for holder in ("indexer", "writer"):
        op.execute(
            f"INSERT INTO leases (name, owner, expires_at) "
            f"SELECT '{holder}:' || CAST(chain_id AS VARCHAR), owner, expires_at FROM {holder}_leases"
        )
    op.drop_table("indexer_leases")
    op.drop_table("writer_leases")


def downgrade() -> None:
    for holder in ("indexer", "writer"):
        op.create_table(
            f"{holder}_leases",
            sa.Column("chain_id", sa.BigInteger(), nullable=False),
            sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
            sa.Column("expires_at", sa.Float(), nullable=False),
            sa.PrimaryKeyConstraint("chain_id"),
        )
        op.execute(
            f"INSERT INTO {holder}_leases (chain_id, owner, expires_at) "
            f"SELECT CAST(substr(name, {len(holder) + 2}) AS BIGINT), owner, expires_at FROM leases "
            f"WHERE name LIKE '{holder}:%'"
        )
    op.drop_table("leases")
