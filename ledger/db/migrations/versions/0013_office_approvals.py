"""office approvals: a reduction above the four-eyes threshold waits in `office_approvals` until a
second office user approves it

Revision ID: 0013_office_approvals
Revises: 0012_tickets
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013_office_approvals"
down_revision = "0012_tickets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "office_approvals",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("project_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("delta_fen", sa.BigInteger(), nullable=True),
        sa.Column("document_sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reduction_fen", sa.BigInteger(), nullable=False),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("requested_at", sa.Float(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("approved_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("approved_at", sa.Float(), nullable=True),
        sa.Column("command_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("office_approvals") as batch:
        batch.create_index(batch.f("ix_office_approvals_project_code"), ["project_code"], unique=False)
        batch.create_index(batch.f("ix_office_approvals_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("office_approvals") as batch:
        batch.drop_index(batch.f("ix_office_approvals_status"))
        batch.drop_index(batch.f("ix_office_approvals_project_code"))
    op.drop_table("office_approvals")
