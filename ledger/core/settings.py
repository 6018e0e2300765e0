"""Every setting of the ledger, its API and its portal: one `Settings` in groups, got through `get_settings()`.

Each setting is an environment variable (`LEDGER_*`, `LEDGER_API_*`, `LEDGER_PORTAL_*`) or a line in
`.env` in the working directory: the one place a `.env` is read from. Each group is a `BaseSettings` of
its own with its own prefix (pydantic-settings reads a nested `BaseSettings` built by `default_factory`
with that prefix), so the variables keep their names while the code reads `settings.writer.lease_seconds`.
The local state's defaults (`var/`: SQLite read model, manifest, Celery broker) lie under the working
directory when the settings are read, never inside the installed package.

Every number is bounded; `get_settings()` turns a bad value into a SettingsError of one line naming the
variable, which every entry point (CLI, API, worker) prints instead of a traceback.
"""

import os
import socket
import uuid
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PositiveFloat, PositiveInt, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.core.errors import SettingsError

# Hardhat's public development mnemonic: its keys are known to everyone.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_PEPPER = "development-pepper-not-secret"
# Development-only keys (32 bytes each, base64): public like the mnemonic, refused in production.
DEV_FIELD_KEYS = "dev1:ZGV2ZWxvcG1lbnQtZmllbGQta2V5LW5vdC1zZWNyZXQ="
DEV_FIELD_KEYS_GM = "dev1:Z20tZGV2LWZpZWxkLWtleQ=="  # 16 bytes: SM4's key size (the gm profile)
DEV_PLATFORM_KEY = "ZGV2ZWxvcG1lbnQtcGxhdGZvcm0ta2V5LTMyYnl0ZXM="
DEV_SESSION_SECRET = "development-session-secret-not-secret"
ENV_FILE = ".env"  # relative: the working directory's
NodeKind = Literal["hardhat", "anvil"]
# The off-chain cryptography (ledger.core.crypto_profile): "standard" (Ed25519, SHA-256, AES-256-GCM)
# or "gm" (国密, GB/T 39786-2021: SM2 with SM3, SM3, SM4-GCM).
CryptoProfileName = Literal["standard", "gm"]


def process_owner_id() -> str:
    """A lease owner id unique to this process (host:pid:random)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def local_state(name: str) -> Path:
    """Where a piece of local state lives by default: var/ under the working directory."""
    return Path.cwd() / "var" / name


def _group(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, env_file=ENV_FILE, extra="ignore")


class DatabaseSettings(BaseSettings):
    model_config = _group("LEDGER_DATABASE_")

    # Write model, outbox and read model; postgresql://… uses psycopg 3.
    url: str = Field(default_factory=lambda: f"sqlite:///{local_state('ledger.db')}")
    # A streaming replica of it (PostgreSQL hot standby): the public and regulator reads go there.
    # Unset: they read the primary (docs/operations/runbook.md, "Read replica").
    read_url: str | None = None


class RpcSettings(BaseSettings):
    model_config = _group("LEDGER_RPC_")

    url: str = "http://127.0.0.1:8545"
    # Every JSON-RPC request gives up after this long (the indexer's lease must outlast it).
    timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    # Largest JSON-RPC batch sent (Geth refuses more than 1000 by default, Besu more than 1024).
    batch_size: int = Field(default=500, ge=1, le=10_000)


class DeploymentSettings(BaseSettings):
    """The contracts' deployment: where its manifest is, and the rules `ledger deploy` sets."""

    model_config = _group("LEDGER_")

    manifest_path: Path = Field(default_factory=lambda: local_state("deployment.json"))
    # The deployer hands DEFAULT_ADMIN_ROLE to this account (a multisig or timelock in production), which
    # accepts it with acceptDefaultAdminTransfer() once the delay has passed; unset: the deployer keeps it.
    admin_address: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{40}$")
    admin_delay_seconds: int = Field(default=86_400, ge=0, le=30 * 86_400)
    # How long after a due date (or the latest unpause) a commitment may be marked overdue.
    overdue_grace_seconds: int = Field(default=7 * 86_400, ge=86_400, le=90 * 86_400)  # the registry's bounds


class SecretSettings(BaseSettings):
    """Key material; production refuses every development value (Settings checks, knowing the environment)."""

    model_config = _group("LEDGER_")

    # Role keys are derived from this mnemonic at the indexes in ledger.core.roles.ROLE_ACCOUNT_INDEX.
    mnemonic: SecretStr = SecretStr(DEV_MNEMONIC)
    # Keyed hash of enterprise USCCs on chain: HMAC-SHA256(pepper, USCC).
    enterprise_pepper: SecretStr = SecretStr(DEV_PEPPER)
    # Production signing keys: eth-account keystores <keystore_dir>/<ROLE>.json (e.g. TAX_ROLE.json).
    keystore_dir: Path | None = None
    # Their passphrases: one for all, or a JSON object {"TAX_ROLE": "...", ...}.
    keystore_passphrases: SecretStr = SecretStr("")
    # Keys for personal data at rest, "kid:base64key,kid:base64key": 32-byte AES-256-GCM keys, or 16-byte
    # SM4-GCM keys under LEDGER_CRYPTO_PROFILE=gm. The first encrypts, all decrypt (rotation: put the new
    # key first, run `ledger keys rotate`, then drop the old one).
    field_keys: SecretStr = SecretStr(DEV_FIELD_KEYS)


class PlatformSettings(BaseSettings):
    """The platform's identity towards integrators: it signs outbound webhooks, /v1/keys publishes it."""

    model_config = _group("LEDGER_PLATFORM_")

    # The platform's private key, base64 of 32 bytes: the Ed25519 seed, or the SM2 private scalar under
    # LEDGER_CRYPTO_PROFILE=gm.
    signing_key: SecretStr = SecretStr(DEV_PLATFORM_KEY)
    client_id: str = Field(default="platform", min_length=1, max_length=200)


class IndexerSettings(BaseSettings):
    # The indexer's variables share no prefix beyond LEDGER_, so its fields keep their full names.
    model_config = _group("LEDGER_")

    confirmations: int = Field(default=0, ge=0, le=10_000)
    reorg_limit: PositiveInt = Field(default=64, le=100_000)
    index_range_max: PositiveInt = Field(default=2_000, le=1_000_000)
    index_target_logs: PositiveInt = Field(default=20_000, le=1_000_000)
    index_poll_seconds: PositiveFloat = Field(default=1.0, le=3_600)
    # Longest wait between retries after transient errors (the wait doubles from the poll interval).
    index_retry_max_seconds: PositiveFloat = Field(default=30.0, le=3_600)
    use_finalized_tag: bool = False
    indexer_id: str = Field(default_factory=process_owner_id, min_length=1, max_length=200)
    indexer_lease_seconds: PositiveFloat = Field(default=15.0, le=3_600)


class HealthSettings(BaseSettings):
    model_config = _group("LEDGER_HEALTH_")

    # /health answers 503 when the read model is further behind the head, or the indexer silent longer.
    max_lag_blocks: int = Field(default=100, ge=0, le=1_000_000)
    max_poll_age_seconds: PositiveFloat = Field(default=60.0, le=86_400)


class WorkerSettings(BaseSettings):
    """The Celery worker (ledger.worker)."""

    model_config = _group("LEDGER_")

    # Celery broker: embedded SQLite by default, Redis (redis://127.0.0.1:6379/0) in production.
    broker_url: str = Field(default_factory=lambda: f"sqla+sqlite:///{local_state('celery-broker.db')}")
    # Celery queue this deployment's tasks go to and its workers consume (unique per test run).
    celery_queue: str = Field(default="ledger", min_length=1, max_length=200)
    # How often beat looks for open commitments past due date + grace to mark them overdue on chain.
    overdue_sweep_seconds: PositiveFloat = Field(default=60.0, le=86_400)
    # Reminders to the enterprise this many days before a commitment's due date (LEDGER_REMINDER_DAYS='[7,1]').
    reminder_days: list[Annotated[int, Field(ge=1, le=365)]] = Field(default=[7, 1], min_length=1, max_length=5)
    # How often beat scans for reminders and outcome notices due (and starts a reconciliation asked for).
    notice_scan_seconds: PositiveFloat = Field(default=60.0, le=86_400)
    # A reconciliation runs when the last one is this old (and on demand).
    reconciliation_hours: PositiveFloat = Field(default=24.0, le=24 * 31)


class WriterSettings(BaseSettings):
    """The outbox writer: commands per transaction, transactions in flight, polling and its single-writer lease."""

    model_config = _group("LEDGER_WRITER_")

    batch_size: int = Field(default=1000, ge=1, le=1000)
    max_in_flight: int = Field(default=4, ge=1, le=64)
    poll_seconds: PositiveFloat = Field(default=0.05, le=60)
    idle_seconds: PositiveFloat = Field(default=5.0, le=3_600)  # a drain task returns after this long without work
    task_seconds: PositiveFloat = Field(default=60.0, le=3_600)  # and after this long in any case
    # How long a silent writer keeps the lease (must outlast one of its RPC requests, as the indexer's).
    lease_seconds: PositiveFloat = Field(default=30.0, le=3_600)
    id: str = Field(default_factory=process_owner_id, min_length=1, max_length=200)
    rpc_timeout_seconds: PositiveFloat = Field(default=10.0, le=600)
    retry_max_seconds: PositiveFloat = Field(default=30.0, le=3_600)  # longest back-off while the chain is down


class WebhookSettings(BaseSettings):
    """Outbound webhooks: at-least-once with exponential back-off between the retry bounds."""

    model_config = _group("LEDGER_WEBHOOK_")

    timeout_seconds: PositiveFloat = Field(default=5.0, le=300)
    retry_base_seconds: float = Field(default=1.0, ge=0, le=3_600)
    retry_max_seconds: float = Field(default=3600.0, ge=0, le=7 * 86_400)
    poll_seconds: PositiveFloat = Field(default=1.0, le=3_600)
    # An endpoint none of whose attempts succeeded for this long is disabled (its notices wait; the office is told).
    disable_after_seconds: PositiveFloat = Field(default=3 * 86_400.0, le=365 * 86_400)


class CreditSharingSettings(BaseSettings):
    """The push of every credit event to the city's credit platform (信用信息共享平台): signed like the
    webhooks, at least once, in order per enterprise, retried with exponential back-off between the bounds."""

    model_config = _group("LEDGER_CREDIT_SHARING_")

    # Where the pushes are POSTed (http or https); unset: sharing is off and nothing is queued.
    url: str | None = Field(default=None, pattern=r"^https?://[^/\s]+", max_length=2000)
    timeout_seconds: PositiveFloat = Field(default=10.0, le=300)
    retry_base_seconds: float = Field(default=1.0, ge=0, le=3_600)
    retry_max_seconds: float = Field(default=3600.0, ge=0, le=7 * 86_400)
    poll_seconds: PositiveFloat = Field(default=2.0, le=3_600)
    batch_size: int = Field(default=200, ge=1, le=10_000)  # pushes sent by one task at most


class ApiSettings(BaseSettings):
    model_config = _group("LEDGER_API_")

    # Signed requests: a timestamp further than this from the server clock is refused; a nonce is
    # remembered for three times this long, so it is never accepted twice while its timestamp is valid.
    signature_window_seconds: int = Field(default=300, ge=1, le=86_400)
    # Idempotency: responses are replayed for at least this long; an in-flight claim older than the
    # lock (its process died) may be taken over by a retry.
    idempotency_retention_hours: float = Field(default=24.0, ge=24.0, le=24 * 366)
    idempotency_lock_seconds: PositiveFloat = Field(default=60.0, le=86_400)
    max_body_bytes: int = Field(default=1_048_576, ge=1_024, le=1_073_741_824)
    # People: server-side sessions (a random token in the cookie) with a CSRF token for state-changing requests.
    session_secret: SecretStr = SecretStr(DEV_SESSION_SECRET)  # keys the CSRF tokens
    session_max_age_seconds: int = Field(default=8 * 3600, ge=60, le=30 * 86_400)
    session_cookie_name: str = Field(default="ledger_session", pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    # Secure cookies (HTTPS only); unset: on in production (Settings decides, knowing the environment).
    cookie_secure: bool | None = None
    # Where the login and public rate limits count (the `limits` package): memory:// counts in this
    # process only (development); redis://host:6379/N is shared by every API process, and the API
    # refuses to start in production without it. The prefix keeps deployments sharing one Redis apart.
    throttle_storage_url: str = Field(default="memory://", pattern=r"^(memory://|rediss?://\S+)$")
    throttle_key_prefix: str = Field(default="ledger", pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    # Login throttling: failed logins counted per account and per client address (counted before the
    # password is checked); over either within the window, logins are refused until it ends.
    login_failures_per_account: int = Field(default=10, ge=1, le=1_000)
    login_failures_per_address: int = Field(default=100, ge=1, le=100_000)
    login_window_seconds: int = Field(default=900, ge=1, le=86_400)
    # The public routes (/v1/public, the portal's public pages): at most the burst per client address
    # within burst / rate seconds (a moving window); over it, 429 with Retry-After.
    public_rate_per_second: float = Field(default=20.0, gt=0, le=1_000_000)
    public_burst: int = Field(default=60, ge=1, le=1_000_000)
    # Public answers are kept (web/kit/read_cache.py) until the indexer changes their project, at most
    # this long (0: every request reads the database); the read model is asked what changed this often.
    public_cache_seconds: float = Field(default=60.0, ge=0, le=3600)
    public_cache_check_seconds: float = Field(default=1.0, gt=0, le=60)
    public_cache_entries: int = Field(default=10_000, ge=1, le=10_000_000)
    # The Host names the app answers (comma-separated; `*.example.gov.cn` for subdomains): a request
    # with another Host header is refused (400) before any page builds an address from it. The
    # default serves development and tests; production lists the public names.
    allowed_hosts: str = Field(
        default="127.0.0.1,localhost,testserver", pattern=r"^[A-Za-z0-9*.:\[\]\-]+(,[A-Za-z0-9*.:\[\]\-]+)*$"
    )

    @property
    def allowed_host_names(self) -> list[str]:
        return self.allowed_hosts.split(",")

    @property
    def secure_cookies(self) -> bool:
        return bool(self.cookie_secure)

    @model_validator(mode="after")
    def _long_session_secret(self) -> "ApiSettings":
        if len(self.session_secret.get_secret_value()) < 32:
            raise ValueError("LEDGER_API_SESSION_SECRET: at least 32 characters")
        return self


class PortalSettings(BaseSettings):
    model_config = _group("LEDGER_PORTAL_")

    # The address the public reaches the portal at (https://…, no trailing slash): the QR code on a
    # receipt and the announcement feed link there. Unset: bare paths (development only: the API
    # refuses to start in production without it).
    public_base_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(/[^\s]*[^/\s])?$")
    # A block explorer's transaction page, `{tx}` standing for the hash: proofs link there when set.
    explorer_tx_url: str | None = Field(default=None, pattern=r"^https?://\S*\{tx\}\S*$")
    # The tax system's checkout page for one levy, `{levy}` standing for the levy number: the enterprise
    # workspace links "pay online" there. Unset: no link. `make run` sets the simulator's.
    tax_checkout_url: str | None = Field(default=None, pattern=r"^https?://\S*\{levy\}\S*$")
    # The CJK font (TrueType file or collection) the receipt PDF is set in: Debian's fonts-wqy-microhei.
    receipt_font_path: Path = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    # Four-eyes (四眼原则): a reduction that lowers a levy by more than this many fen (¥100,000 by
    # default) is held until a second office user approves it (ledger.domain.approvals).
    second_officer_above_fen: int = Field(default=10_000_000, ge=0)

    # The approval system's list of a project's materials on file (licences, earlier results), `{project}`
    # standing for the project code: the declaration guide marks those "nothing to upload". Unset: the
    # guide lists every material as to be provided. In development the approval simulator serves it.
    approval_materials_url: str | None = Field(default=None, pattern=r"^https?://\S*\{project\}\S*$")
    approval_timeout_seconds: float = Field(default=3.0, gt=0, le=30)


class TicketSettings(BaseSettings):
    """Questions, complaints and suggestions from the public (ledger.domain.tickets)."""

    model_config = _group("LEDGER_TICKETS_")

    # Working days (Mon–Fri, China's public holidays and their make-up days counted) allowed for an answer.
    consultation_days: int = Field(default=5, ge=1, le=60)
    complaint_days: int = Field(default=10, ge=1, le=60)
    suggestion_days: int = Field(default=15, ge=1, le=60)
    # Spam control: submissions per client address per hour, and how long a form's arithmetic question holds.
    submissions_per_hour: int = Field(default=5, ge=1, le=10_000)
    challenge_seconds: int = Field(default=1800, ge=60, le=86_400)


class DocumentSettings(BaseSettings):
    """Documents people upload (an enterprise's fulfilment evidence): kept off chain by their digest
    (ledger.domain.documents); only the digest goes on chain."""

    model_config = _group("LEDGER_DOCUMENTS_")

    directory: Path = Field(default_factory=lambda: local_state("documents"))
    max_bytes: int = Field(default=10 * 1_048_576, ge=1_024, le=104_857_600)  # one file, 10 MiB by default


class RepairSettings(BaseSettings):
    """Credit repair with public notice (信用修复, 公示期; ledger.domain.repairs)."""

    model_config = _group("LEDGER_REPAIR_")

    # How long a published repair application is on public notice, open to objections, before the office
    # may approve it: days on the chain's clock from the publication.
    notice_days: int = Field(default=7, ge=1, le=90)


class DevSettings(BaseSettings):
    """`python -m devtools run` (make run): which pinned local node it starts, and where it serves."""

    model_config = _group("LEDGER_DEV_")

    node: NodeKind = "hardhat"
    api_port: int = Field(default=8000, ge=1, le=65_535)
    checkout_port: int = Field(default=8100, ge=1, le=65_535)
    materials_port: int = Field(default=8101, ge=1, le=65_535)  # the approval simulator's materials on file
    credit_platform_port: int = Field(default=8102, ge=1, le=65_535)  # the simulated credit platform


class Settings(BaseSettings):
    """The groups follow the parts that read them; the checks across groups live here."""

    model_config = _group("LEDGER_")

    environment: Literal["development", "production"] = "development"
    # One switch for the off-chain cryptography: client and webhook signatures, digests, field encryption.
    crypto_profile: CryptoProfileName = "standard"
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    rpc: RpcSettings = Field(default_factory=RpcSettings)
    deployment: DeploymentSettings = Field(default_factory=DeploymentSettings)
    secrets: SecretSettings = Field(default_factory=SecretSettings)
    platform: PlatformSettings = Field(default_factory=PlatformSettings)
    indexer: IndexerSettings = Field(default_factory=IndexerSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    writer: WriterSettings = Field(default_factory=WriterSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    credit_sharing: CreditSharingSettings = Field(default_factory=CreditSharingSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    portal: PortalSettings = Field(default_factory=PortalSettings)
    tickets: TicketSettings = Field(default_factory=TicketSettings)
    documents: DocumentSettings = Field(default_factory=DocumentSettings)
    repair: RepairSettings = Field(default_factory=RepairSettings)
    dev: DevSettings = Field(default_factory=DevSettings)

    @model_validator(mode="after")
    def _development_field_key_of_the_profile(self) -> "Settings":
        # The development field key is AES-256's size; the gm profile's development key is SM4's.
        if self.crypto_profile == "gm" and self.secrets.field_keys.get_secret_value() == DEV_FIELD_KEYS:
            self.secrets.field_keys = SecretStr(DEV_FIELD_KEYS_GM)
        return self

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> "Settings":
        if self.environment == "development":
            return self
        secrets = self.secrets
        # The chain's secrets are named first, then the write path's (keystores make the mnemonic unused).
        if secrets.mnemonic.get_secret_value() == DEV_MNEMONIC and secrets.keystore_dir is None:
            raise ValueError("LEDGER_MNEMONIC: the public development mnemonic is refused outside development")
        if secrets.enterprise_pepper.get_secret_value() == DEV_PEPPER:
            raise ValueError("LEDGER_ENTERPRISE_PEPPER: the development pepper is refused outside development")
        if secrets.field_keys.get_secret_value() in (DEV_FIELD_KEYS, DEV_FIELD_KEYS_GM):
            raise ValueError("LEDGER_FIELD_KEYS: the development field key is refused outside development")
        if self.platform.signing_key.get_secret_value() == DEV_PLATFORM_KEY:
            raise ValueError("LEDGER_PLATFORM_SIGNING_KEY: the development key is refused outside development")
        if secrets.keystore_dir is None:
            raise ValueError("LEDGER_KEYSTORE_DIR: signing keys come from encrypted keystores outside development")
        if self.api.session_secret.get_secret_value() == DEV_SESSION_SECRET:
            raise ValueError("LEDGER_API_SESSION_SECRET: the development session secret is refused outside development")
        return self

    @model_validator(mode="after")
    def _leases_outlast_a_request(self) -> "Settings":
        # An active indexer or writer waiting on one slow request must not lose its lease to a standby.
        _more_than(
            "LEDGER_INDEXER_LEASE_SECONDS",
            self.indexer.indexer_lease_seconds,
            "LEDGER_RPC_TIMEOUT_SECONDS",
            self.rpc.timeout_seconds,
        )
        _more_than(
            "LEDGER_WRITER_LEASE_SECONDS",
            self.writer.lease_seconds,
            "LEDGER_WRITER_RPC_TIMEOUT_SECONDS",
            self.writer.rpc_timeout_seconds,
        )
        _more_than(
            "LEDGER_HEALTH_MAX_POLL_AGE_SECONDS",
            self.health.max_poll_age_seconds,
            "LEDGER_INDEX_POLL_SECONDS",
            self.indexer.index_poll_seconds,
        )
        return self

    @model_validator(mode="after")
    def _secure_cookies_in_production(self) -> "Settings":
        if self.api.cookie_secure is None:
            self.api.cookie_secure = self.environment == "production"
        return self


def _more_than(name: str, value: float, other_name: str, other: float) -> None:
    if value <= other:
        raise ValueError(f"{name} ({value:g}) must be more than {other_name} ({other:g})")


def _variable(model: type[BaseSettings], loc: tuple[Any, ...]) -> str:
    """The environment variable behind an error's location, following the groups down."""
    field = str(loc[0])
    annotation = model.model_fields[field].annotation if field in model.model_fields else None
    if len(loc) > 1 and isinstance(annotation, type) and issubclass(annotation, BaseSettings):
        return _variable(annotation, loc[1:])
    return str(model.model_config.get("env_prefix", "")) + field.upper()


def _models() -> dict[str, type[BaseSettings]]:
    groups = {
        field.annotation.__name__: field.annotation
        for field in Settings.model_fields.values()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseSettings)
    }
    return {Settings.__name__: Settings, **groups}


def settings_error(exc: ValidationError) -> SettingsError:
    """One line naming each bad variable, its value and the rule, instead of a traceback."""
    model = _models().get(exc.title, Settings)  # a group's own error carries the group's name
    problems = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        if error["loc"]:
            problems.append(f"{_variable(model, error['loc'])}={error['input']!r}: {message}")
        else:
            problems.append(message)
    return SettingsError("bad setting: " + "; ".join(problems))


@cache
def get_settings() -> Settings:
    """This process's settings, read once from the environment and `.env`; a bad value raises SettingsError."""
    if "LEDGER_API_ENVIRONMENT" in os.environ:  # the API's own spelling before one Settings: refused, never ignored
        raise SettingsError(
            "LEDGER_API_ENVIRONMENT is no longer read: set LEDGER_ENVIRONMENT (one environment for every process)"
        )
    try:
        return Settings()
    except ValidationError as exc:
        raise settings_error(exc) from None
