"""credit repair with public notice (信用修复, 公示期): an enterprise's application after a breach, its
remedy evidence files, the office's publication and decision; a ticket may object to a repair notice

Revision ID: 0021_repair
Revises: 0020_credit_sharing
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0021_repair"
down_revision = "0020_credit_sharing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    string = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "repair_applications",
        sa.Column("id", string(), nullable=False),
        sa.Column("commitment_number", string(), nullable=False),
        sa.Column("open_commitment", string(), nullable=True),
        sa.Column("enterprise_uscc", string(length=18), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("evidence_digest", string(length=64), nullable=False),
        sa.Column("digest_algorithm", string(length=8), nullable=False),
        sa.Column("submitted_by", string(length=64), nullable=False),
        sa.Column("submitted_at", sa.Float(), nullable=False),
        sa.Column("status", string(length=16), nullable=False),
        sa.Column("published_by", string(length=64), nullable=True),
        sa.Column("published_at", sa.Float(), nullable=True),
        sa.Column("notice_ends_at", sa.Float(), nullable=True),
        sa.Column("decided_by", string(length=64), nullable=True),
        sa.Column("decided_at", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("command_id", string(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("open_commitment"),
    )
    with op.batch_alter_table("repair_applications") as batch:
        batch.create_index(batch.f("ix_repair_applications_commitment_number"), ["commitment_number"], unique=False)
        batch.create_index(batch.f("ix_repair_applications_enterprise_uscc"), ["enterprise_uscc"], unique=False)
        batch.create_index(batch.f("ix_repair_applications_status"), ["status"], unique=False)
    op.create_table(
        "repair_documents",
        sa.Column("id", string(), nullable=False),
        sa.Column("application_id", string(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("digest", string(length=64), nullable=False),
        sa.Column("media_type", string(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("file_name", string(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("repair_documents") as batch:
        batch.create_index(batch.f("ix_repair_documents_application_id"), ["application_id"], unique=False)
        batch.create_index(batch.f("ix_repair_documents_digest"), ["digest"], unique=False)
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("repair_application_id", string(), nullable=True))
        batch.create_index(batch.f("ix_tickets_repair_application_id"), ["repair_application_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index(batch.f("ix_tickets_repair_application_id"))
        batch.drop_column("repair_application_id")
    with op.batch_alter_table("repair_documents") as batch:
        batch.drop_index(batch.f("ix_repair_documents_digest"))
        batch.drop_index(batch.f("ix_repair_documents_application_id"))
    op.drop_table("repair_documents")
    with op.batch_alter_table("repair_applications") as batch:
        batch.drop_index(batch.f("ix_repair_applications_status"))
        batch.drop_index(batch.f("ix_repair_applications_enterprise_uscc"))
        batch.drop_index(batch.f("ix_repair_applications_commitment_number"))
    op.drop_table("repair_applications")
