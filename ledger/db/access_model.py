"""Who may call the API: system clients with their Ed25519 keys, seen nonces, idempotency records,
and people (users) with their Argon2id password hashes and their server-side login sessions.

Times are unix seconds (float). Nothing here reaches the chain.
"""

from sqlalchemy import Column, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

CLIENT_ROLES = ("tax", "approval")
USER_ROLES = ("office", "regulator", "enterprise")


class ApiClient(SQLModel, table=True):
    """A system that signs its requests (the tax system, the approval system)."""

    __tablename__ = "api_clients"
    id: str = Field(primary_key=True, max_length=64)  # the X-Client-Id, e.g. "tax-bureau"
    role: str = Field(max_length=16)  # one of CLIENT_ROLES: which routes it may call
    active: bool = True
    created_at: float


class ApiClientKey(SQLModel, table=True):
    """An Ed25519 public key of a client; at most two are active at once (rotation)."""

    __tablename__ = "api_client_keys"
    __table_args__ = (UniqueConstraint("client_id", "key_id", name="ux_api_client_keys_key"),)
    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(sa_column=Column(String(64), ForeignKey("api_clients.id"), nullable=False, index=True))
    key_id: str = Field(max_length=16)  # first 16 hex digits of SHA-256 of the raw public key
    public_key: bytes = Field(sa_type=LargeBinary)  # the raw 32 bytes
    active: bool = True
    created_at: float
    retired_at: float | None = None


class ApiNonce(SQLModel, table=True):
    """A nonce a client used; the primary key refuses it a second time within the window."""

    __tablename__ = "api_nonces"
    __table_args__ = (Index("ix_api_nonces_seen_at", "seen_at"),)
    client_id: str = Field(primary_key=True, max_length=64)
    nonce: str = Field(primary_key=True, max_length=128)
    seen_at: float


class IdempotencyRecord(SQLModel, table=True):
    """The first response to a client's Idempotency-Key. The primary key decides which of several
    concurrent requests runs (the others see `in_flight` and get 409), in any number of processes."""

    __tablename__ = "api_idempotency"
    __table_args__ = (Index("ix_api_idempotency_created_at", "created_at"),)
    client_id: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)  # hex SHA-256 of method, path and body
    state: str = Field(max_length=16)  # in_flight | completed
    locked_until: float  # an in-flight claim older than this was abandoned (a crashed process)
    status_code: int | None = None
    content_type: str | None = None
    location: str | None = None
    body: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: float
    completed_at: float | None = None


class User(SQLModel, table=True):
    """A person who logs in: office staff, a regulator, or an enterprise bound to its USCC."""

    __tablename__ = "users"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=128)
    role: str = Field(max_length=16)  # one of USER_ROLES
    uscc: str | None = Field(default=None, max_length=18, index=True)  # enterprises only
    password_hash: str = Field(max_length=255)  # Argon2id, PHC string
    active: bool = True
    created_at: float


class LoginSession(SQLModel, table=True):
    """A person's session, looked up on every request: the cookie holds a random token, this row its
    SHA-256 (a copy of the table opens nothing). Logout deletes the row; a password change deletes all
    of the user's; a row past `expires_at` is refused and deleted at the user's next login."""

    __tablename__ = "login_sessions"
    id: str = Field(primary_key=True, max_length=64)  # hex SHA-256 of the cookie's token
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("users.id"), nullable=False, index=True))
    created_at: float
    expires_at: float


ACCESS_TABLES = (ApiClient, ApiClientKey, ApiNonce, IdempotencyRecord, User, LoginSession)
