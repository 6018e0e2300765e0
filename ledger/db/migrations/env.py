"""Alembic environment: runs on the connection ledger.db.schema hands over (its transaction, its lock)."""

from alembic import context
from sqlmodel import SQLModel

import ledger.db.access_model  # noqa: F401  (API clients, keys, nonces, idempotency, users)
import ledger.db.evidence_model  # noqa: F401  (enterprises' fulfilment evidence and its review)
import ledger.db.inspection_model  # noqa: F401  (the pools published for inspection draws)
import ledger.db.lease_model  # noqa: F401  (the indexer's and the writer's leases)
import ledger.db.office_document_model  # noqa: F401  (the office's supporting documents for its writes)
import ledger.db.read_model  # noqa: F401  (registers the tables)
import ledger.db.repair_model  # noqa: F401  (credit repair applications, their notice and decision)
import ledger.db.sharing_model  # noqa: F401  (credit events pushed to the credit platform, attempts)
import ledger.db.supervision_model  # noqa: F401  (enterprise notices, tax statements, reconciliation runs)
import ledger.db.ticket_model  # noqa: F401  (questions, complaints and suggestions from the public)
import ledger.db.webhook_model  # noqa: F401  (webhook endpoints, deliveries, attempts)
import ledger.db.write_model  # noqa: F401  (write model: projects, levies, confirmations, outbox)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
context.run_migrations()
