"""repair notices: the enterprise's notices also tell it of its repair application's steps (published,
rejected with the reason, approved), each once per application; the old once-key keeps to the others

Revision ID: 0023_repair_notices
Revises: 0022_draw_office
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0023_repair_notices"
down_revision = "0022_draw_office"
branch_labels = None
depends_on = None

NOT_A_REPAIR_STEP = sa.text("repair_application_id IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("enterprise_notices") as batch:
        batch.add_column(sa.Column("repair_application_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column("detail", sa.Text(), nullable=True))
        batch.drop_index("ux_enterprise_notices_once")
        batch.create_index(
            "ux_enterprise_notices_once",
            ["commitment_number", "kind", "due_date"],
            unique=True,
            postgresql_where=NOT_A_REPAIR_STEP,
            sqlite_where=NOT_A_REPAIR_STEP,
        )
        batch.create_index("ux_enterprise_notices_repair_once", ["repair_application_id", "kind"], unique=True)


def downgrade() -> None:
    op.execute("DELETE FROM enterprise_notices WHERE repair_application_id IS NOT NULL")
    with op.batch_alter_table("enterprise_notices") as batch:
        batch.drop_index("ux_enterprise_notices_repair_once")
        batch.drop_index("ux_enterprise_notices_once")
        batch.create_index("ux_enterprise_notices_once", ["commitment_number", "kind", "due_date"], unique=True)
        batch.drop_column("detail")
        batch.drop_column("repair_application_id")
