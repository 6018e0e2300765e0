"""write model: projects, enterprises, levies, confirmations, refunds, commitments, outbox, webhooks

Revision ID: 0004
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "acceptance_reports",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("project_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("surveyed_shelter_area", sa.BigInteger(), nullable=False),
        sa.Column("report_sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("delta_fen", sa.BigInteger(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_acceptance_reports_project_code"), "acceptance_reports", ["project_code"], unique=False)
    op.create_table(
        "adjustment_requests",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("project_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("relief_bps", sa.Integer(), nullable=True),
        sa.Column("delta_fen", sa.BigInteger(), nullable=False),
        sa.Column("document_sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("command_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_adjustment_requests_project_code"), "adjustment_requests", ["project_code"], unique=False)
    op.create_table(
        "commitment_documents",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("commitment_number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("document_sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("new_due_date", sa.Date(), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("command_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_commitment_documents_commitment_number"), "commitment_documents", ["commitment_number"], unique=False
    )
    op.create_table(
        "commitment_records",
        sa.Column("commitment_number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("commitment_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("project_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("enterprise_uscc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("due_at", sa.BigInteger(), nullable=False),
        sa.Column("terms_sha256", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("command_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("commitment_number"),
    )
    op.create_index(
        op.f("ix_commitment_records_enterprise_uscc"), "commitment_records", ["enterprise_uscc"], unique=False
    )
    op.create_index(op.f("ix_commitment_records_project_code"), "commitment_records", ["project_code"], unique=False)
    op.create_table(
        "clearance_notices",
        sa.Column("project_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("clear", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("project_code"),
    )
    op.create_table(
        "enterprises",
        sa.Column("uscc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("enterprise_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name_token", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("contact_person_token", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("contact_phone_token", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("uscc"),
    )
    op.create_table(
        "outbox_commands",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("project_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("args", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("transaction_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("error_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("error_args", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("submitted_at", sa.Float(), nullable=True),
        sa.Column("mined_at", sa.Float(), nullable=True),
        sa.Column("indexed_at", sa.Float(), nullable=True),
        sa.Column("notified_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    op.create_index("ix_outbox_commands_notified", "outbox_commands", ["notified_at", "status"], unique=False)
    op.create_index(
        "ix_outbox_commands_project_status_seq", "outbox_commands", ["project_code", "status", "seq"], unique=False
    )
    op.create_index("ix_outbox_commands_status_seq", "outbox_commands", ["status", "seq"], unique=False)
    op.create_index("ix_outbox_commands_transaction", "outbox_commands", ["transaction_id"], unique=False)
    op.create_table(
        "outbox_transactions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("sender", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("transaction_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("settled_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("transaction_hash"),
    )
    op.create_index("ix_outbox_transactions_status", "outbox_transactions", ["status"], unique=False)
    op.create_index(
        "ux_outbox_transactions_sender_nonce", "outbox_transactions", ["chain_id", "sender", "nonce"], unique=True
    )
    op.create_table(
        "payment_confirmations",
        sa.Column("voucher_number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("levy_number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("project_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_at", sa.BigInteger(), nullable=False),
        sa.Column("payer_uscc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("command_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("voucher_number"),
    )
    op.create_index(
        op.f("ix_payment_confirmations_levy_number"), "payment_confirmations", ["levy_number"], unique=False
    )
    op.create_index("ix_payment_confirmations_paid_at", "payment_confirmations", ["paid_at"], unique=False)
    op.create_index(
        op.f("ix_payment_confirmations_project_code"), "payment_confirmations", ["project_code"], unique=False
    )
    op.create_table(
        "refund_requests",
        sa.Column("refund_reference", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("levy_number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("project_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("refunded_at", sa.BigInteger(), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("command_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("refund_reference"),
    )
    op.create_index(op.f("ix_refund_requests_project_code"), "refund_requests", ["project_code"], unique=False)
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("delivery_seq", sa.BigInteger(), nullable=False),
        sa.Column("attempted_at", sa.Float(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_webhook_attempts_delivery_seq"), "webhook_attempts", ["delivery_seq"], unique=False)
    op.create_table(
        "webhook_deliveries",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("project_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Float(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("delivered_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"], unique=False)
    op.create_index(
        "ix_webhook_deliveries_queue", "webhook_deliveries", ["endpoint_id", "project_code", "seq"], unique=False
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("events", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_webhook_endpoints_subscriber"), "webhook_endpoints", ["subscriber"], unique=False)
    op.create_table(
        "writer_leases",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id"),
    )
    op.create_table(
        "projects",
        sa.Column("project_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("project_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("builder_uscc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("district", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("required_shelter_area", sa.BigInteger(), nullable=False),
        sa.Column("built_shelter_area", sa.BigInteger(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("registered_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["builder_uscc"],
            ["enterprises.uscc"],
        ),
        sa.PrimaryKeyConstraint("project_code"),
        sa.UniqueConstraint("project_key"),
    )
    op.create_index(op.f("ix_projects_builder_uscc"), "projects", ["builder_uscc"], unique=False)
    op.create_table(
        "levies",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("levy_number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("project_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("payer_uscc", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("shortfall_area", sa.BigInteger(), nullable=True),
        sa.Column("rate_fen_per_m2", sa.BigInteger(), nullable=True),
        sa.Column("rate_table_version", sa.Integer(), nullable=True),
        sa.Column("basis_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("command_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_code"],
            ["projects.project_code"],
        ),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("levy_number"),
    )
    op.create_index(op.f("ix_levies_payer_uscc"), "levies", ["payer_uscc"], unique=False)
    op.create_index(op.f("ix_levies_project_code"), "levies", ["project_code"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_levies_project_code"), table_name="levies")
    op.drop_index(op.f("ix_levies_payer_uscc"), table_name="levies")
    op.drop_table("levies")
    op.drop_index(op.f("ix_projects_builder_uscc"), table_name="projects")
    op.drop_table("projects")
    op.drop_table("writer_leases")
    op.drop_index(op.f("ix_webhook_endpoints_subscriber"), table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
    op.drop_index("ix_webhook_deliveries_queue", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index(op.f("ix_webhook_attempts_delivery_seq"), table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_index(op.f("ix_refund_requests_project_code"), table_name="refund_requests")
    op.drop_table("refund_requests")
    op.drop_index(op.f("ix_payment_confirmations_project_code"), table_name="payment_confirmations")
    op.drop_index("ix_payment_confirmations_paid_at", table_name="payment_confirmations")
    op.drop_index(op.f("ix_payment_confirmations_levy_number"), table_name="payment_confirmations")
    op.drop_table("payment_confirmations")
    op.drop_index("ux_outbox_transactions_sender_nonce", table_name="outbox_transactions")
    op.drop_index("ix_outbox_transactions_status", table_name="outbox_transactions")
    op.drop_table("outbox_transactions")
    op.drop_index("ix_outbox_commands_transaction", table_name="outbox_commands")
    op.drop_index("ix_outbox_commands_notified", table_name="outbox_commands")
    op.drop_index("ix_outbox_commands_status_seq", table_name="outbox_commands")
    op.drop_index("ix_outbox_commands_project_status_seq", table_name="outbox_commands")
    op.drop_table("outbox_commands")
    op.drop_table("enterprises")
    op.drop_table("clearance_notices")
    op.drop_index(op.f("ix_commitment_records_project_code"), table_name="commitment_records")
    op.drop_index(op.f("ix_commitment_records_enterprise_uscc"), table_name="commitment_records")
    op.drop_table("commitment_records")
    op.drop_index(op.f("ix_commitment_documents_commitment_number"), table_name="commitment_documents")
    op.drop_table("commitment_documents")
    op.drop_index(op.f("ix_adjustment_requests_project_code"), table_name="adjustment_requests")
    op.drop_table("adjustment_requests")
    op.drop_index(op.f("ix_acceptance_reports_project_code"), table_name="acceptance_reports")
    op.drop_table("acceptance_reports")
