"""server-side login sessions: a `login_sessions` row per session cookie, deleted at logout or a password
change; replaces the signed cookie checked against `users.sessions_valid_after`

Revision ID: 0011_login_sessions
Revises: 0010_one_lease
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011_login_sessions"
down_revision = "0010_one_lease"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_sessions",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_sessions") as batch:
        batch.create_index(batch.f("ix_login_sessions_user_id"), ["user_id"], unique=False)
    # The signed cookies issued before this revision name no row: everyone logs in again.
    with op.batch_alter_table("users") as batch:
        batch.drop_column("sessions_valid_after")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("sessions_valid_after", sa.Float(), nullable=False, server_default="0"))
    with op.batch_alter_table("login_sessions") as batch:
        batch.drop_index(batch.f("ix_login_sessions_user_id"))
    op.drop_table("login_sessions")
