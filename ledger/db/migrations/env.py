"""Alembic environment: the engine comes from ledger.db.engine.migrate (or the -x url)."""

from alembic import context
from sqlmodel import SQLModel

import ledger.db.read_model  # noqa: F401  (registers the tables)
import ledger.db.access_model  # noqa: F401  (API clients, keys, nonces, idempotency, users)
import ledger.db.write_model  # noqa: F401  (write model: projects, levies, confirmations, outbox)
import ledger.db.webhook_model  # noqa: F401  (webhook endpoints, deliveries, attempts)
import ledger.db.lease_model  # noqa: F401  (the indexer's and the writer's leases)
from ledger.db.engine import make_engine

config = context.config
engine = config.attributes.get("engine") or make_engine(context.get_x_argument(as_dictionary=True)["url"])

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
