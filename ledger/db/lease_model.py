"""The leases table: who may write for a role and chain (`indexer:31337`, `writer:31337`), until when."""

from sqlmodel import Field, SQLModel


class LeaseRecord(SQLModel, table=True):
    """One holder per lease; the others wait as standbys (ledger.db.lease)."""

    __tablename__ = "leases"
    name: str = Field(primary_key=True)
    owner: str
    expires_at: float  # unix seconds by the database's clock
