"""commands correctable: the outbox found by business key (a key's attempts, its command on its way)

A voucher, refund reference or commitment number whose command failed may be sent again
corrected; the failed attempt stays in the outbox. Looking a key's commands up by `reference`
(e.g. whether a command on a commitment is still on its way) needs this index.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_commands_reference_status", "outbox_commands", ["reference", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_commands_reference_status", table_name="outbox_commands")
