"""Settings of the `api` package, from `LEDGER_API_*` environment variables (and `.env`)."""

from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SESSION_SECRET = "development-session-secret-not-secret"


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_API_", env_file=".env", extra="ignore")

    # Shared with ledger.core.settings: production refuses the development secrets.
    environment: Literal["development", "production"] = Field(
        "development", validation_alias=AliasChoices("LEDGER_ENVIRONMENT", "LEDGER_API_ENVIRONMENT"))
    # Signed requests: a timestamp further than this from the server clock is refused; a nonce is
    # remembered for twice this long, so it is never accepted twice while its timestamp is valid.
    signature_window_seconds: int = 300
    # Idempotency: responses are replayed for at least this long; an in-flight claim older than the
    # lock (its process died) may be taken over by a retry.
    idempotency_retention_hours: float = Field(24.0, ge=24.0)
    idempotency_lock_seconds: float = 60.0
    max_body_bytes: int = 1_048_576
    # People: signed session cookies (itsdangerous) with a CSRF token for state-changing requests.
    session_secret: SecretStr = SecretStr(DEV_SESSION_SECRET)
    session_max_age_seconds: int = 8 * 3600
    session_cookie_name: str = "ledger_session"
    # Secure cookies (HTTPS only); on by default in production.
    cookie_secure: bool | None = None
    # The public routes (/v1/public, the portal's public pages): a token bucket per client IP
    # (per process), refilled at this rate up to the burst; over it, 429 with Retry-After.
    public_rate_per_second: float = Field(20.0, gt=0)
    public_burst: int = Field(60, ge=1)
    public_clients_tracked: int = Field(100_000, ge=1)  # buckets kept; the least recently seen go first
    # Public answers are kept (api/read_cache.py) until the indexer changes their project, at most
    # this long (0: every request reads the database); the read model is asked what changed this often.
    public_cache_seconds: float = Field(60.0, ge=0, le=3600)
    public_cache_check_seconds: float = Field(1.0, gt=0, le=60)
    public_cache_entries: int = Field(10_000, ge=1)

    @property
    def secure_cookies(self) -> bool:
        return self.environment == "production" if self.cookie_secure is None else self.cookie_secure

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> "ApiSettings":
        if self.environment != "development" and self.session_secret.get_secret_value() == DEV_SESSION_SECRET:
            raise ValueError("LEDGER_API_SESSION_SECRET: the development session secret is refused outside development")
        if len(self.session_secret.get_secret_value()) < 32:
            raise ValueError("LEDGER_API_SESSION_SECRET: at least 32 characters")
        return self
