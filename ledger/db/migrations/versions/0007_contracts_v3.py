"""contracts v3: the assessment's fact time, the over-refund flag, AccountImported's dueFen, the
times a v3 import carries, and when a commitment became known on chain and was marked overdue

Existing rows (indexed from v2 contracts) keep None where a v2 event carries no value; the
commitments' `recorded_at` and `overdue_at` are filled from their events' block times.

Revision ID: 0007
Revises: 0006_lossless
Create Date: 2026-12-02 03:20:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from ledger.db.read_model import Uint64

revision = "0007"
down_revision = "0006_lossless"
branch_labels = None
depends_on = None

PROOF = (
    ("chain_id", sa.BigInteger()),
    ("block_number", sa.BigInteger()),
    ("log_index", sa.Integer()),
    ("block_hash", sqlmodel.sql.sqltypes.AutoString()),
    ("transaction_hash", sqlmodel.sql.sqltypes.AutoString()),
)
NEW_COLUMNS = {
    "fee_assessments": ("assessed_at",),
    "fee_account_imports": ("due_fen",),
    "commitment_events": ("recorded_at", "overdue_at", "evidence_submitted_at", "decided_at"),
    "fee_accounts": ("assessed_at",),
}
BLOCK_TIME = (
    "SELECT {aggregate}(t.timestamp) FROM commitment_events e JOIN block_times t "
    "ON t.chain_id = e.chain_id AND t.block_number = e.block_number "
    "WHERE e.chain_id = commitments.chain_id AND e.commitment = commitments.commitment AND e.event IN ({events})"
)


def upgrade() -> None:
    op.create_table(
        "over_refunds",
        *(sa.Column(name, type_, nullable=False) for name, type_ in PROOF),
        sa.Column("project", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("refund_ref", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("excess_fen", Uint64(), nullable=False),
        sa.Column("over_refunded_fen", Uint64(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index"),
    )
    op.create_index("ix_over_refunds_project", "over_refunds", ["chain_id", "project"], unique=False)
    for table, columns in NEW_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.add_column(sa.Column(column, Uint64(), nullable=True))
    with op.batch_alter_table("fee_accounts") as batch:
        batch.add_column(sa.Column("over_refunded_fen", Uint64(), nullable=False, server_default="0"))
    with op.batch_alter_table("commitments") as batch:
        batch.add_column(sa.Column("recorded_at", Uint64(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("overdue_at", Uint64(), nullable=False, server_default="0"))
    recorded = BLOCK_TIME.format(aggregate="MIN", events="'recorded', 'imported'")
    overdue = BLOCK_TIME.format(aggregate="MAX", events="'marked_overdue'")
    op.execute(f"UPDATE commitments SET recorded_at = COALESCE(({recorded}), 0), overdue_at = COALESCE(({overdue}), 0)")


def downgrade() -> None:
    with op.batch_alter_table("commitments") as batch:
        batch.drop_column("overdue_at")
        batch.drop_column("recorded_at")
    with op.batch_alter_table("fee_accounts") as batch:
        batch.drop_column("over_refunded_fen")
    for table, columns in NEW_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_column(column)
    op.drop_index("ix_over_refunds_project", table_name="over_refunds")
    op.drop_table("over_refunds")
