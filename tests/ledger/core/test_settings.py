import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from ledger.core.errors import SettingsError
from ledger.core.settings import REPO_ROOT, Settings, load_settings


def test_production_refuses_the_public_development_mnemonic():
    with pytest.raises(ValidationError, match="LEDGER_MNEMONIC"):
        Settings(environment="production", enterprise_pepper="a-real-secret-pepper")


def test_production_refuses_the_development_pepper():
    with pytest.raises(ValidationError, match="LEDGER_ENTERPRISE_PEPPER"):
        Settings(environment="production", mnemonic="abandon " * 11 + "about")


def test_development_accepts_the_defaults():
    assert Settings(environment="development").environment == "development"


@pytest.mark.parametrize("variable, value, rule", [
    ("LEDGER_REORG_LIMIT", "0", "greater than 0"),
    ("LEDGER_CONFIRMATIONS", "-1", "greater than or equal to 0"),
    ("LEDGER_INDEX_POLL_SECONDS", "soon", "valid number"),
    ("LEDGER_RPC_BATCH_SIZE", "100000", "less than or equal to 10000"),
    ("LEDGER_DEV_API_PORT", "70000", "less than or equal to 65535"),
])
def test_a_bad_number_is_one_line_naming_the_variable_and_the_rule(monkeypatch, variable, value, rule):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    assert f"{variable}={value!r}" in message and rule in message


def test_the_lease_must_outlast_an_rpc_request(monkeypatch):
    monkeypatch.setenv("LEDGER_RPC_TIMEOUT_SECONDS", "20")
    monkeypatch.setenv("LEDGER_INDEXER_LEASE_SECONDS", "15")
    with pytest.raises(SettingsError, match="LEDGER_INDEXER_LEASE_SECONDS .* must be more than LEDGER_RPC_TIMEOUT_SECONDS"):
        load_settings()


def test_the_cli_reports_a_bad_setting_in_one_line_without_a_traceback():
    env = {**os.environ, "LEDGER_REORG_LIMIT": "-5"}
    result = subprocess.run([sys.executable, "-m", "ledger", "index"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "LEDGER_REORG_LIMIT='-5'" in result.stderr


def test_dot_env_is_read_from_the_project_root_not_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("LEDGER_REORG_LIMIT=7\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEDGER_REORG_LIMIT", raising=False)
    assert Settings.model_config["env_file"] == REPO_ROOT / ".env"
    if not (REPO_ROOT / ".env").exists():
        assert Settings().reorg_limit == 64


def test_an_admin_address_that_is_not_an_address_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("LEDGER_ADMIN_ADDRESS", "multisig")
    with pytest.raises(SettingsError, match="LEDGER_ADMIN_ADDRESS"):
        load_settings()


def test_the_development_node_is_hardhat_or_anvil(monkeypatch):
    assert Settings().dev_node == "hardhat"
    monkeypatch.setenv("LEDGER_DEV_NODE", "anvil")
    assert load_settings().dev_node == "anvil"
    monkeypatch.setenv("LEDGER_DEV_NODE", "geth")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "LEDGER_DEV_NODE='geth'" in str(caught.value) and "'hardhat' or 'anvil'" in str(caught.value)
