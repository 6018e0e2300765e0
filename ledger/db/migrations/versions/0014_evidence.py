"""evidence: an enterprise's fulfilment evidence for a commitment (the file kept off chain by its digest)
and the office's review of it

Revision ID: 0014_evidence
Revises: 0013_office_approvals
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014_evidence"
down_revision = "0013_office_approvals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_submissions",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("commitment_number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("enterprise_uscc", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("digest_algorithm", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("submitted_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("submitted_at", sa.Float(), nullable=False),
        sa.Column("command_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("review_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("reviewed_at", sa.Float(), nullable=True),
        sa.Column("review_command_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("evidence_submissions") as batch:
        batch.create_index(batch.f("ix_evidence_submissions_commitment_number"), ["commitment_number"], unique=False)
        batch.create_index(batch.f("ix_evidence_submissions_digest"), ["digest"], unique=False)
        batch.create_index("ix_evidence_submissions_review_status", ["review_status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence_submissions") as batch:
        batch.drop_index("ix_evidence_submissions_review_status")
        batch.drop_index(batch.f("ix_evidence_submissions_digest"))
        batch.drop_index(batch.f("ix_evidence_submissions_commitment_number"))
    op.drop_table("evidence_submissions")
