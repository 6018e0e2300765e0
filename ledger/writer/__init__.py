"""The outbox writer: drains accepted commands into signed, batched contract calls."""
