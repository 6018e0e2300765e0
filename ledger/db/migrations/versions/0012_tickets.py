"""questions, complaints and suggestions from the public (咨询、投诉建议): the `tickets` table

Revision ID: 0012_tickets
Revises: 0011_login_sessions
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012_tickets"
down_revision = "0011_login_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    string = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", string(length=32), nullable=False),
        sa.Column("kind", string(length=16), nullable=False),
        sa.Column("topic", string(length=16), nullable=False),
        sa.Column("project_code", string(length=32), nullable=True),
        sa.Column("title", string(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("contact_token", string(length=400), nullable=False),
        sa.Column("code_hash", string(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", string(length=16), nullable=False),
        sa.Column("submitted_at", sa.Float(), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.Float(), nullable=True),
        sa.Column("answered_by", string(length=64), nullable=True),
        sa.Column("rating", string(length=16), nullable=True),
        sa.Column("rating_reason", string(length=500), nullable=True),
        sa.Column("rated_at", sa.Float(), nullable=True),
        sa.Column("faq", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("tickets") as batch:
        batch.create_index("ix_tickets_status_due_at", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_status_due_at")
    op.drop_table("tickets")
