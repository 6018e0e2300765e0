"""reconciliation runs: the worker runs one at a time (a partial unique index on the running run of
a worker, daily or on demand), and a run keeps when it started (a run whose worker was lost is taken
over once it has run too long)

Revision ID: 0019_reconciliation_runs_once
Revises: 0018_office_fixes
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_reconciliation_runs_once"
down_revision = "0018_office_fixes"
branch_labels = None
depends_on = None

WORKER_RUNNING = "status = 'running' AND \"trigger\" IN ('daily', 'on_demand')"


def upgrade() -> None:
    with op.batch_alter_table("reconciliation_runs") as batch:
        batch.add_column(sa.Column("started_at", sa.Float(), nullable=True))
    # Before the index: of runs already running at once, the older ones are closed as failed.
    op.execute(
        "UPDATE reconciliation_runs SET status = 'failed', error = 'closed by migration 0019: another run was running' "
        f"WHERE {WORKER_RUNNING} AND id < (SELECT max(id) FROM reconciliation_runs WHERE {WORKER_RUNNING})"
    )
    op.create_index(
        "ux_reconciliation_runs_one_worker_run",
        "reconciliation_runs",
        ["status"],
        unique=True,
        postgresql_where=sa.text(WORKER_RUNNING),
        sqlite_where=sa.text(WORKER_RUNNING),
    )


def downgrade() -> None:
    op.drop_index("ux_reconciliation_runs_one_worker_run", table_name="reconciliation_runs")
    with op.batch_alter_table("reconciliation_runs") as batch:
        batch.drop_column("started_at")
