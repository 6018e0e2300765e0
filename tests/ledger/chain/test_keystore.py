"""Signing keys: encrypted keystores (scrypt at eth-account's default cost) in production."""

import json

import pytest
from eth_account import Account
from pydantic import ValidationError

from ledger.chain.keystore import MIN_SCRYPT_N, KeystoreError, load_signers, read_keystore, write_keystore
from ledger.core.settings import Settings


def test_a_keystore_round_trips_with_scrypt_at_least_at_the_default_cost(tmp_path):
    account = Account.create()
    path = write_keystore(account, "correct horse", tmp_path / "TAX_ROLE.json")
    assert json.loads(path.read_text())["crypto"]["kdfparams"]["n"] >= MIN_SCRYPT_N
    assert oct(path.stat().st_mode)[-3:] == "600"
    settings = Settings(secrets={"keystore_dir": tmp_path, "keystore_passphrases": '{"TAX_ROLE": "correct horse"}'})
    assert load_signers(settings, ["TAX_ROLE"])["TAX_ROLE"].address == account.address
    with pytest.raises(KeystoreError, match="wrong passphrase"):
        read_keystore(path, "wrong")
    with pytest.raises(KeystoreError, match="no keystore for ASSESSOR_ROLE"):
        load_signers(settings, ["ASSESSOR_ROLE"])


def test_a_weak_keystore_is_refused(tmp_path):
    weak = Account.encrypt(Account.create().key, "pw", kdf="scrypt", iterations=2**14)
    path = tmp_path / "TAX_ROLE.json"
    path.write_text(json.dumps(weak))
    with pytest.raises(KeystoreError, match="n ≥"):
        read_keystore(path, "pw")


def test_production_needs_keystores_and_real_write_path_secrets():
    real = {"mnemonic": "abandon " * 11 + "about", "enterprise_pepper": "a-real-pepper"}
    with pytest.raises(ValidationError, match="LEDGER_FIELD_KEYS"):
        Settings(environment="production", secrets=real)
    with pytest.raises(ValidationError, match="LEDGER_KEYSTORE_DIR"):
        Settings(
            environment="production",
            secrets={"field_keys": "k1:" + "A" * 43 + "=", **real},
            platform={"signing_key": "B" * 43 + "="},
        )
