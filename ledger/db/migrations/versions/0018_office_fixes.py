"""office approvals keep what the requester saw: the levy and its relief when a reduction was held, so
that the second officer's approval is refused if either changed since; and who declined one (a held
reduction closed without being made)

Revision ID: 0018_office_fixes
Revises: 0017_inspections
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0018_office_fixes"
down_revision = "0017_inspections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("office_approvals") as batch:
        batch.add_column(sa.Column("levy_fen", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("relief_bps", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("declined_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column("declined_at", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("office_approvals") as batch:
        batch.drop_column("declined_at")
        batch.drop_column("declined_by")
        batch.drop_column("relief_bps")
        batch.drop_column("levy_fen")
