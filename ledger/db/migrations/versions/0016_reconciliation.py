"""reconciliation: the tax system's statements as posted, and reconciliation runs with their findings

Revision ID: 0016_reconciliation
Revises: 0015_notices
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0016_reconciliation"
down_revision = "0015_notices"
branch_labels = None
depends_on = None

SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tax_statement_lines",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("voucher_number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("levy_number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_at", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("day", "voucher_number"),
    )
    op.create_table(
        "reconciliation_runs",
        sa.Column("id", SEQUENCE, nullable=False),
        sa.Column("trigger", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("requested_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("checked", sa.Text(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reconciliation_runs") as batch:
        batch.create_index(batch.f("ix_reconciliation_runs_status"), ["status"], unique=False)
    op.create_table(
        "reconciliation_findings",
        sa.Column("id", SEQUENCE, nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("project_code", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("proofs", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reconciliation_findings") as batch:
        batch.create_index(batch.f("ix_reconciliation_findings_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reconciliation_findings") as batch:
        batch.drop_index(batch.f("ix_reconciliation_findings_run_id"))
    op.drop_table("reconciliation_findings")
    with op.batch_alter_table("reconciliation_runs") as batch:
        batch.drop_index(batch.f("ix_reconciliation_runs_status"))
    op.drop_table("reconciliation_runs")
    op.drop_table("tax_statement_lines")
