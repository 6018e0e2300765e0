import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

import ledger
from ledger.core.errors import SettingsError
from ledger.core.settings import Settings, get_settings

# Every variable operators and tests set, with a valid value and where the settings keep it.
VARIABLES = {
    "LEDGER_ENVIRONMENT": ("development", "environment"),
    "LEDGER_DATABASE_URL": ("sqlite:////tmp/x.db", "database.url"),
    "LEDGER_RPC_URL": ("http://127.0.0.1:9545", "rpc.url"),
    "LEDGER_RPC_TIMEOUT_SECONDS": ("3", "rpc.timeout_seconds"),
    "LEDGER_RPC_BATCH_SIZE": ("7", "rpc.batch_size"),
    "LEDGER_MANIFEST_PATH": ("/tmp/m.json", "deployment.manifest_path"),
    "LEDGER_ADMIN_ADDRESS": ("0x" + "ab" * 20, "deployment.admin_address"),
    "LEDGER_ADMIN_DELAY_SECONDS": ("3600", "deployment.admin_delay_seconds"),
    "LEDGER_OVERDUE_GRACE_SECONDS": ("86400", "deployment.overdue_grace_seconds"),
    "LEDGER_MNEMONIC": ("abandon " * 11 + "about", "secrets.mnemonic"),
    "LEDGER_ENTERPRISE_PEPPER": ("pepper", "secrets.enterprise_pepper"),
    "LEDGER_KEYSTORE_DIR": ("/tmp/keys", "secrets.keystore_dir"),
    "LEDGER_KEYSTORE_PASSPHRASES": ("pass", "secrets.keystore_passphrases"),
    "LEDGER_FIELD_KEYS": ("k1:" + "A" * 43 + "=", "secrets.field_keys"),
    "LEDGER_PLATFORM_SIGNING_KEY": ("B" * 43 + "=", "platform.signing_key"),
    "LEDGER_PLATFORM_CLIENT_ID": ("the-platform", "platform.client_id"),
    "LEDGER_CONFIRMATIONS": ("2", "indexer.confirmations"),
    "LEDGER_REORG_LIMIT": ("9", "indexer.reorg_limit"),
    "LEDGER_INDEX_RANGE_MAX": ("11", "indexer.index_range_max"),
    "LEDGER_INDEX_TARGET_LOGS": ("12", "indexer.index_target_logs"),
    "LEDGER_INDEX_POLL_SECONDS": ("0.5", "indexer.index_poll_seconds"),
    "LEDGER_INDEX_RETRY_MAX_SECONDS": ("4", "indexer.index_retry_max_seconds"),
    "LEDGER_USE_FINALIZED_TAG": ("true", "indexer.use_finalized_tag"),
    "LEDGER_INDEXER_ID": ("replica-a", "indexer.indexer_id"),
    "LEDGER_INDEXER_LEASE_SECONDS": ("16", "indexer.indexer_lease_seconds"),
    "LEDGER_HEALTH_MAX_LAG_BLOCKS": ("5", "health.max_lag_blocks"),
    "LEDGER_HEALTH_MAX_POLL_AGE_SECONDS": ("61", "health.max_poll_age_seconds"),
    "LEDGER_BROKER_URL": ("redis://127.0.0.1:6379/3", "worker.broker_url"),
    "LEDGER_CELERY_QUEUE": ("q1", "worker.celery_queue"),
    "LEDGER_OVERDUE_SWEEP_SECONDS": ("30", "worker.overdue_sweep_seconds"),
    "LEDGER_WRITER_BATCH_SIZE": ("10", "writer.batch_size"),
    "LEDGER_WRITER_MAX_IN_FLIGHT": ("2", "writer.max_in_flight"),
    "LEDGER_WRITER_POLL_SECONDS": ("0.1", "writer.poll_seconds"),
    "LEDGER_WRITER_IDLE_SECONDS": ("6", "writer.idle_seconds"),
    "LEDGER_WRITER_TASK_SECONDS": ("61", "writer.task_seconds"),
    "LEDGER_WRITER_LEASE_SECONDS": ("31", "writer.lease_seconds"),
    "LEDGER_WRITER_ID": ("writer-a", "writer.id"),
    "LEDGER_WRITER_RPC_TIMEOUT_SECONDS": ("9", "writer.rpc_timeout_seconds"),
    "LEDGER_WRITER_RETRY_MAX_SECONDS": ("29", "writer.retry_max_seconds"),
    "LEDGER_WEBHOOK_TIMEOUT_SECONDS": ("4", "webhooks.timeout_seconds"),
    "LEDGER_WEBHOOK_RETRY_BASE_SECONDS": ("2", "webhooks.retry_base_seconds"),
    "LEDGER_WEBHOOK_RETRY_MAX_SECONDS": ("60", "webhooks.retry_max_seconds"),
    "LEDGER_WEBHOOK_POLL_SECONDS": ("3", "webhooks.poll_seconds"),
    "LEDGER_WEBHOOK_DISABLE_AFTER_SECONDS": ("7200", "webhooks.disable_after_seconds"),
    "LEDGER_API_SIGNATURE_WINDOW_SECONDS": ("100", "api.signature_window_seconds"),
    "LEDGER_API_IDEMPOTENCY_RETENTION_HOURS": ("48", "api.idempotency_retention_hours"),
    "LEDGER_API_IDEMPOTENCY_LOCK_SECONDS": ("30", "api.idempotency_lock_seconds"),
    "LEDGER_API_MAX_BODY_BYTES": ("2048", "api.max_body_bytes"),
    "LEDGER_API_SESSION_SECRET": ("s" * 40, "api.session_secret"),
    "LEDGER_API_SESSION_MAX_AGE_SECONDS": ("600", "api.session_max_age_seconds"),
    "LEDGER_API_SESSION_COOKIE_NAME": ("sid", "api.session_cookie_name"),
    "LEDGER_API_COOKIE_SECURE": ("true", "api.cookie_secure"),
    "LEDGER_API_PUBLIC_RATE_PER_SECOND": ("5", "api.public_rate_per_second"),
    "LEDGER_API_PUBLIC_BURST": ("6", "api.public_burst"),
    "LEDGER_API_THROTTLE_STORAGE_URL": ("redis://127.0.0.1:6379/3", "api.throttle_storage_url"),
    "LEDGER_API_THROTTLE_KEY_PREFIX": ("city-a", "api.throttle_key_prefix"),
    "LEDGER_API_LOGIN_FAILURES_PER_ACCOUNT": ("5", "api.login_failures_per_account"),
    "LEDGER_API_LOGIN_FAILURES_PER_ADDRESS": ("50", "api.login_failures_per_address"),
    "LEDGER_API_LOGIN_WINDOW_SECONDS": ("600", "api.login_window_seconds"),
    "LEDGER_API_PUBLIC_CACHE_SECONDS": ("8", "api.public_cache_seconds"),
    "LEDGER_API_PUBLIC_CACHE_CHECK_SECONDS": ("2", "api.public_cache_check_seconds"),
    "LEDGER_API_PUBLIC_CACHE_ENTRIES": ("9", "api.public_cache_entries"),
    "LEDGER_PORTAL_PUBLIC_BASE_URL": ("https://rf.example.gov.cn", "portal.public_base_url"),
    "LEDGER_PORTAL_EXPLORER_TX_URL": ("https://explorer.example/tx/{tx}", "portal.explorer_tx_url"),
    "LEDGER_PORTAL_TAX_CHECKOUT_URL": ("https://tax.example/pay/{levy}", "portal.tax_checkout_url"),
    "LEDGER_TICKETS_CONSULTATION_DAYS": ("3", "tickets.consultation_days"),
    "LEDGER_TICKETS_COMPLAINT_DAYS": ("7", "tickets.complaint_days"),
    "LEDGER_TICKETS_SUGGESTION_DAYS": ("20", "tickets.suggestion_days"),
    "LEDGER_TICKETS_SUBMISSIONS_PER_HOUR": ("9", "tickets.submissions_per_hour"),
    "LEDGER_TICKETS_CHALLENGE_SECONDS": ("600", "tickets.challenge_seconds"),
    "LEDGER_DEV_NODE": ("anvil", "dev.node"),
    "LEDGER_DEV_API_PORT": ("8001", "dev.api_port"),
    "LEDGER_DEV_CHECKOUT_PORT": ("8101", "dev.checkout_port"),
}


def value_at(settings: Settings, path: str):
    value = settings
    for part in path.split("."):
        value = getattr(value, part)
    return value.get_secret_value() if hasattr(value, "get_secret_value") else value


def test_every_environment_variable_keeps_its_name(monkeypatch):
    for variable, (value, _) in VARIABLES.items():
        monkeypatch.setenv(variable, value)
    settings = get_settings()
    for variable, (value, path) in VARIABLES.items():
        read = value_at(settings, path)
        assert str(read).lower() == value.lower() or read == type(read)(value), (variable, read)


def test_get_settings_reads_the_environment_once_per_process():
    assert get_settings() is get_settings()


def test_production_refuses_the_public_development_mnemonic():
    with pytest.raises(ValidationError, match="LEDGER_MNEMONIC"):
        Settings(environment="production", secrets={"enterprise_pepper": "a-real-secret-pepper"})


def test_production_refuses_the_development_pepper():
    with pytest.raises(ValidationError, match="LEDGER_ENTERPRISE_PEPPER"):
        Settings(environment="production", secrets={"mnemonic": "abandon " * 11 + "about"})


def test_production_refuses_the_development_session_secret(tmp_path):
    real = {
        "mnemonic": "abandon " * 11 + "about",
        "enterprise_pepper": "a-real-pepper",
        "field_keys": "k1:" + "A" * 43 + "=",
        "keystore_dir": tmp_path,
    }
    with pytest.raises(ValidationError, match="LEDGER_API_SESSION_SECRET"):
        Settings(environment="production", secrets=real, platform={"signing_key": "B" * 43 + "="})
    settings = Settings(
        environment="production",
        secrets=real,
        platform={"signing_key": "B" * 43 + "="},
        api={"session_secret": "s" * 40},
    )
    assert settings.api.secure_cookies  # on by default in production


def test_production_with_keystores_still_refuses_the_development_write_path_keys(tmp_path):
    # Keystores leave the mnemonic at its unused default: the field and platform keys are checked all the same.
    with pytest.raises(ValidationError, match="LEDGER_FIELD_KEYS"):
        Settings(environment="production", secrets={"keystore_dir": tmp_path, "enterprise_pepper": "a-real-pepper"})


def test_development_accepts_the_defaults():
    settings = Settings(environment="development")
    assert settings.environment == "development" and not settings.api.secure_cookies


@pytest.mark.parametrize(
    "variable, value, rule",
    [
        ("LEDGER_REORG_LIMIT", "0", "greater than 0"),
        ("LEDGER_CONFIRMATIONS", "-1", "greater than or equal to 0"),
        ("LEDGER_INDEX_POLL_SECONDS", "soon", "valid number"),
        ("LEDGER_RPC_BATCH_SIZE", "100000", "less than or equal to 10000"),
        ("LEDGER_DEV_API_PORT", "70000", "less than or equal to 65535"),
        ("LEDGER_WRITER_MAX_IN_FLIGHT", "1000", "less than or equal to 64"),
        ("LEDGER_WRITER_POLL_SECONDS", "0", "greater than 0"),
        ("LEDGER_WEBHOOK_RETRY_MAX_SECONDS", "-1", "greater than or equal to 0"),
        ("LEDGER_WEBHOOK_TIMEOUT_SECONDS", "100000", "less than or equal to 300"),
        ("LEDGER_API_PUBLIC_BURST", "0", "greater than or equal to 1"),
        ("LEDGER_API_MAX_BODY_BYTES", "-1", "greater than or equal to 1024"),
        ("LEDGER_PORTAL_EXPLORER_TX_URL", "https://explorer.example/tx/", "should match pattern"),
    ],
)
def test_a_bad_number_is_one_line_naming_the_variable_and_the_rule(monkeypatch, variable, value, rule):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        get_settings()
    message = str(caught.value)
    assert "\n" not in message
    assert f"{variable}={value!r}" in message and rule in message


def test_a_bad_value_given_to_a_group_in_code_names_its_variable_too():
    with pytest.raises(ValidationError) as caught:
        Settings(writer={"batch_size": 0})
    from ledger.core.settings import settings_error

    assert "LEDGER_WRITER_BATCH_SIZE=0" in str(settings_error(caught.value))


def test_the_indexer_lease_must_outlast_an_rpc_request(monkeypatch):
    monkeypatch.setenv("LEDGER_RPC_TIMEOUT_SECONDS", "20")
    monkeypatch.setenv("LEDGER_INDEXER_LEASE_SECONDS", "15")
    with pytest.raises(
        SettingsError, match="LEDGER_INDEXER_LEASE_SECONDS .* must be more than LEDGER_RPC_TIMEOUT_SECONDS"
    ):
        get_settings()


def test_the_writer_lease_must_outlast_one_of_its_rpc_requests(monkeypatch):
    assert Settings().writer.lease_seconds == 30
    monkeypatch.setenv("LEDGER_WRITER_LEASE_SECONDS", "10")
    with pytest.raises(
        SettingsError,
        match=r"LEDGER_WRITER_LEASE_SECONDS \(10\) must be more than "
        r"LEDGER_WRITER_RPC_TIMEOUT_SECONDS \(10\)",
    ):
        get_settings()


def test_the_cli_reports_a_bad_setting_in_one_line_without_a_traceback():
    env = {**os.environ, "LEDGER_REORG_LIMIT": "-5"}
    result = subprocess.run(
        [sys.executable, "-m", "ledger", "index"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "LEDGER_REORG_LIMIT='-5'" in result.stderr


def test_dot_env_is_read_from_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text(
        "LEDGER_REORG_LIMIT=7\nLEDGER_API_PUBLIC_BURST=9\nLEDGER_PORTAL_PUBLIC_BASE_URL=https://a.example\n"
    )
    monkeypatch.chdir(tmp_path)
    for variable in ("LEDGER_REORG_LIMIT", "LEDGER_API_PUBLIC_BURST", "LEDGER_PORTAL_PUBLIC_BASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    settings = Settings()
    assert settings.indexer.reorg_limit == 7 and settings.api.public_burst == 9
    assert settings.portal.public_base_url == "https://a.example"


def test_the_default_local_state_lies_under_the_working_directory_not_inside_the_package(tmp_path, monkeypatch):
    for variable in ("LEDGER_DATABASE_URL", "LEDGER_MANIFEST_PATH", "LEDGER_BROKER_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    package = Path(ledger.__file__).resolve().parent
    local = [
        Path(settings.database.url.removeprefix("sqlite:///")),
        settings.deployment.manifest_path,
        Path(settings.worker.broker_url.removeprefix("sqla+sqlite:///")),
    ]
    for path in local:
        assert path.parent == tmp_path.resolve() / "var" and package not in path.parents


def test_an_admin_address_that_is_not_an_address_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("LEDGER_ADMIN_ADDRESS", "multisig")
    with pytest.raises(SettingsError, match="LEDGER_ADMIN_ADDRESS"):
        get_settings()


def test_the_development_node_is_hardhat_or_anvil(monkeypatch):
    assert Settings().dev.node == "hardhat"
    monkeypatch.setenv("LEDGER_DEV_NODE", "anvil")
    assert get_settings().dev.node == "anvil"
    get_settings.cache_clear()
    monkeypatch.setenv("LEDGER_DEV_NODE", "geth")
    with pytest.raises(SettingsError) as caught:
        get_settings()
    assert "LEDGER_DEV_NODE='geth'" in str(caught.value) and "'hardhat' or 'anvil'" in str(caught.value)


def test_the_api_s_old_spelling_of_the_environment_is_refused_not_silently_ignored(monkeypatch):
    """Before one Settings, LEDGER_API_ENVIRONMENT=production put the API in production; ignored, it would
    fail open (development session secret, insecure cookies)."""
    monkeypatch.setenv("LEDGER_API_ENVIRONMENT", "production")
    with pytest.raises(SettingsError, match="LEDGER_API_ENVIRONMENT is no longer read: set LEDGER_ENVIRONMENT"):
        get_settings()
