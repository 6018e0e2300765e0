"""office documents: the supporting document (依据文件) a clerk uploads for a relief, an adjustment or a
decision on a commitment (the file kept off chain by its digest), with whose matter it supports

Revision ID: 0024_office_documents
Revises: 0023_repair_notices
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0024_office_documents"
down_revision = "0023_repair_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "office_documents",
        sa.Column("id", text(), nullable=False),
        sa.Column("digest", text(length=64), nullable=False),
        sa.Column("digest_algorithm", text(length=8), nullable=False),
        sa.Column("media_type", text(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("file_name", text(length=200), nullable=False),
        sa.Column("purpose", text(length=16), nullable=False),
        sa.Column("project_code", text(), nullable=False),
        sa.Column("commitment_number", text(), nullable=True),
        sa.Column("enterprise_uscc", text(length=18), nullable=False),
        sa.Column("uploaded_by", text(length=64), nullable=False),
        sa.Column("uploaded_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("office_documents") as batch:
        batch.create_index(batch.f("ix_office_documents_digest"), ["digest"], unique=False)
        batch.create_index(batch.f("ix_office_documents_project_code"), ["project_code"], unique=False)
        batch.create_index(batch.f("ix_office_documents_enterprise_uscc"), ["enterprise_uscc"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("office_documents") as batch:
        batch.drop_index(batch.f("ix_office_documents_enterprise_uscc"))
        batch.drop_index(batch.f("ix_office_documents_project_code"))
        batch.drop_index(batch.f("ix_office_documents_digest"))
    op.drop_table("office_documents")
