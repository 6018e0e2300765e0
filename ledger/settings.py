"""Settings of the `ledger` package, read from `LEDGER_*` environment variables (and `.env`)."""

import os
import socket
import uuid
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Hardhat's public development mnemonic: its keys are known to everyone.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_PEPPER = "development-pepper-not-secret"
REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    rpc_url: str = "http://127.0.0.1:8545"
    database_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'ledger.db'}"
    manifest_path: Path = REPO_ROOT / "var" / "deployment.json"
    # Role keys are derived from this mnemonic at the indexes in ledger.roles.ROLE_ACCOUNT_INDEX.
    mnemonic: SecretStr = SecretStr(DEV_MNEMONIC)
    # Keyed hash of enterprise USCCs on chain: HMAC-SHA256(pepper, USCC).
    enterprise_pepper: SecretStr = SecretStr(DEV_PEPPER)
    # Indexer
    confirmations: int = 0
    reorg_limit: int = 64
    index_range_max: int = 2_000
    index_target_logs: int = 20_000
    index_poll_seconds: float = 1.0
    use_finalized_tag: bool = False
    indexer_id: str = Field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")
    indexer_lease_seconds: float = 15.0
    # Celery broker: embedded SQLite by default, Redis (redis://127.0.0.1:6379/0) in production
    broker_url: str = f"sqla+sqlite:///{REPO_ROOT / 'var' / 'celery-broker.db'}"

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> "Settings":
        if self.environment != "development":
            if self.mnemonic.get_secret_value() == DEV_MNEMONIC:
                raise ValueError("LEDGER_MNEMONIC: the public development mnemonic is refused outside development")
            if self.enterprise_pepper.get_secret_value() == DEV_PEPPER:
                raise ValueError("LEDGER_ENTERPRISE_PEPPER: the development pepper is refused outside development")
        return self
