"""Settings of the `ledger` package, read from `LEDGER_*` environment variables (and `.env`).

`.env` is read from the project root, whatever the working directory. Every number is
bounded; `load_settings` turns a bad value into one line naming the variable.
"""

import os
import socket
import uuid
from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveFloat, PositiveInt, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.core.errors import SettingsError

# Hardhat's public development mnemonic: its keys are known to everyone.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_PEPPER = "development-pepper-not-secret"
# Development-only keys (32 bytes each, base64): public like the mnemonic, refused in production.
DEV_FIELD_KEYS = "dev1:ZGV2ZWxvcG1lbnQtZmllbGQta2V5LW5vdC1zZWNyZXQ="
DEV_PLATFORM_KEY = "ZGV2ZWxvcG1lbnQtcGxhdGZvcm0ta2V5LTMyYnl0ZXM="
REPO_ROOT = Path(__file__).resolve().parent.parent.parent
ENV_PREFIX = "LEDGER_"
NodeKind = Literal["hardhat", "anvil"]


def process_owner_id() -> str:
    """A lease owner id unique to this process (host:pid:random)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=REPO_ROOT / ".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    rpc_url: str = "http://127.0.0.1:8545"
    # Which pinned local node `python -m devtools run` (make run) starts: Hardhat or Foundry's anvil.
    dev_node: NodeKind = "hardhat"
    # Where `python -m devtools run` serves the API and the simulated tax bureau's checkout page.
    dev_api_port: int = Field(default=8000, ge=1, le=65_535)
    dev_checkout_port: int = Field(default=8100, ge=1, le=65_535)
    # Every JSON-RPC request gives up after this long (the indexer's lease must outlast it).
    rpc_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    # Largest JSON-RPC batch sent (Geth refuses more than 1000 by default, Besu more than 1024).
    rpc_batch_size: int = Field(default=500, ge=1, le=10_000)
    database_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'ledger.db'}"
    manifest_path: Path = REPO_ROOT / "var" / "deployment.json"
    # Role keys are derived from this mnemonic at the indexes in ledger.core.roles.ROLE_ACCOUNT_INDEX.
    mnemonic: SecretStr = SecretStr(DEV_MNEMONIC)
    # Keyed hash of enterprise USCCs on chain: HMAC-SHA256(pepper, USCC).
    enterprise_pepper: SecretStr = SecretStr(DEV_PEPPER)
    # Deployment (ledger deploy, make run): who ends up holding DEFAULT_ADMIN_ROLE, and rules set at deploy.
    # The deployer hands the admin role to this account (a multisig or timelock in production), which
    # accepts it with acceptDefaultAdminTransfer() once the delay has passed; unset: the deployer keeps it.
    admin_address: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{40}$")
    admin_delay_seconds: int = Field(default=86_400, ge=0, le=30 * 86_400)
    # How long after a due date (or the latest unpause) a commitment may be marked overdue.
    overdue_grace_seconds: int = Field(default=7 * 86_400, ge=86_400, le=90 * 86_400)  # the registry's bounds
    # Indexer
    confirmations: int = Field(default=0, ge=0, le=10_000)
    reorg_limit: PositiveInt = Field(default=64, le=100_000)
    index_range_max: PositiveInt = Field(default=2_000, le=1_000_000)
    index_target_logs: PositiveInt = Field(default=20_000, le=1_000_000)
    index_poll_seconds: PositiveFloat = Field(default=1.0, le=3_600)
    # Longest wait between retries after transient errors (the wait doubles from the poll interval).
    index_retry_max_seconds: PositiveFloat = Field(default=30.0, le=3_600)
    use_finalized_tag: bool = False
    indexer_id: str = Field(default_factory=lambda: process_owner_id())
    indexer_lease_seconds: PositiveFloat = Field(default=15.0, le=3_600)
    # /health answers 503 when the read model is further behind the head, or the indexer silent longer.
    health_max_lag_blocks: int = Field(default=100, ge=0)
    health_max_poll_age_seconds: PositiveFloat = Field(default=60.0, le=86_400)
    # Celery broker: embedded SQLite by default, Redis (redis://127.0.0.1:6379/0) in production
    broker_url: str = f"sqla+sqlite:///{REPO_ROOT / 'var' / 'celery-broker.db'}"

    # --- Write path, keys, webhooks, data protection (issue 6) ---------------------------------
    # Celery queue this deployment's tasks go to and its workers consume (unique per test run).
    celery_queue: str = "ledger"
    # Production signing keys: eth-account keystores <keystore_dir>/<ROLE>.json (e.g. TAX_ROLE.json).
    keystore_dir: Path | None = None
    # Their passphrases: one for all, or a JSON object {"TAX_ROLE": "...", ...}.
    keystore_passphrases: SecretStr = SecretStr("")
    # AES-256-GCM keys for personal data at rest, "kid:base64key,kid:base64key": the first encrypts,
    # all decrypt (rotation: put the new key first, run `ledger keys rotate`, then drop the old one).
    field_keys: SecretStr = SecretStr(DEV_FIELD_KEYS)
    # The platform's Ed25519 private key (base64 of the 32-byte seed) that signs outbound webhooks.
    platform_signing_key: SecretStr = SecretStr(DEV_PLATFORM_KEY)
    platform_client_id: str = "platform"
    # Outbox writer: commands per transaction, transactions in flight, polling and its single-writer lease.
    writer_batch_size: int = Field(default=1000, ge=1, le=1000)
    writer_max_in_flight: int = Field(default=4, ge=1)
    writer_poll_seconds: float = 0.05
    writer_idle_seconds: float = 5.0  # a drain task returns after this long without work (beat starts the next)
    writer_task_seconds: float = 60.0  # and after this long in any case
    writer_lease_seconds: float = 10.0
    writer_id: str = Field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")
    writer_rpc_timeout_seconds: float = 10.0
    writer_retry_max_seconds: float = 30.0  # longest back-off while the chain is down
    # How often beat looks for open commitments past due date + grace to mark them overdue on chain.
    overdue_sweep_seconds: PositiveFloat = Field(default=60.0, le=86_400)
    # Outbound webhooks: at-least-once with exponential back-off between these bounds.
    webhook_timeout_seconds: float = 5.0
    webhook_retry_base_seconds: float = 1.0
    webhook_retry_max_seconds: float = 3600.0
    webhook_poll_seconds: float = 1.0
    # An endpoint none of whose attempts succeeded for this long is disabled (its notices wait; the office is told).
    webhook_disable_after_seconds: PositiveFloat = 3 * 86_400.0

    @model_validator(mode="after")
    def _refuse_development_write_secrets(self) -> "Settings":
        if self.mnemonic.get_secret_value() == DEV_MNEMONIC or self.enterprise_pepper.get_secret_value() == DEV_PEPPER:
            return self  # _refuse_development_secrets names those first
        if self.environment != "development":
            if self.field_keys.get_secret_value() == DEV_FIELD_KEYS:
                raise ValueError("LEDGER_FIELD_KEYS: the development field key is refused outside development")
            if self.platform_signing_key.get_secret_value() == DEV_PLATFORM_KEY:
                raise ValueError("LEDGER_PLATFORM_SIGNING_KEY: the development key is refused outside development")
            if self.keystore_dir is None:
                raise ValueError("LEDGER_KEYSTORE_DIR: signing keys come from encrypted keystores outside development")
        return self

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> "Settings":
        if self.environment != "development":
            if self.mnemonic.get_secret_value() == DEV_MNEMONIC and self.keystore_dir is None:
                raise ValueError("LEDGER_MNEMONIC: the public development mnemonic is refused outside development")
            if self.enterprise_pepper.get_secret_value() == DEV_PEPPER:
                raise ValueError("LEDGER_ENTERPRISE_PEPPER: the development pepper is refused outside development")
        return self

    @model_validator(mode="after")
    def _lease_outlasts_a_request(self) -> "Settings":
        # An active indexer waiting on one slow request must not lose its lease to a standby.
        if self.indexer_lease_seconds <= self.rpc_timeout_seconds:
            raise ValueError(
                f"LEDGER_INDEXER_LEASE_SECONDS ({self.indexer_lease_seconds:g}) must be more than "
                f"LEDGER_RPC_TIMEOUT_SECONDS ({self.rpc_timeout_seconds:g})"
            )
        if self.health_max_poll_age_seconds <= self.index_poll_seconds:
            raise ValueError(
                f"LEDGER_HEALTH_MAX_POLL_AGE_SECONDS ({self.health_max_poll_age_seconds:g}) must be more than "
                f"LEDGER_INDEX_POLL_SECONDS ({self.index_poll_seconds:g})"
            )
        return self


def settings_error(exc: ValidationError) -> SettingsError:
    """One line naming each bad variable, its value and the rule, instead of a traceback."""
    problems = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        if error["loc"]:
            variable = ENV_PREFIX + "_".join(str(part) for part in error["loc"]).upper()
            problems.append(f"{variable}={error['input']!r}: {message}")
        else:
            problems.append(message)
    return SettingsError("bad setting: " + "; ".join(problems))


def load_settings(**overrides) -> Settings:
    """Settings from the environment (and `.env`); a bad value raises SettingsError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise settings_error(exc) from None
