"""The domain: projects, fees and rates, payments, commitments, clearance, statements.

Every service is a keyword-only function taking the caller's SQLAlchemy/SQLModel `Session`.
A command service writes its off-chain state and its outbox row(s) in that session and does
NOT commit: the caller commits once (together with, e.g., its idempotency record), so the
state and the outbox command land in one transaction or not at all. A service that refuses
raises a `ledger.domain.errors.DomainError` before writing anything.
"""
