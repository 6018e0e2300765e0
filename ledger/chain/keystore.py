"""The role signing keys: encrypted keystores in production, the development mnemonic otherwise.

A keystore is eth-account's encrypted JSON (Web3 Secret Storage, scrypt at eth-account's
default cost n = 2¹⁸ or higher), one file per role: `<LEDGER_KEYSTORE_DIR>/<ROLE>.json`.
"""

import json
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.chain.node import signers_from_mnemonic
from ledger.core.errors import LedgerError
from ledger.core.roles import ROLE_ACCOUNT_INDEX
from ledger.core.settings import Settings

# eth-account's default scrypt cost; weaker keystores are refused.
MIN_SCRYPT_N = 2**18


class KeystoreError(LedgerError):
    """A keystore is missing, too weak, or its passphrase is wrong."""


def write_keystore(account: LocalAccount, passphrase: str, path: Path) -> Path:
    """Encrypt `account` into a keystore file (scrypt at eth-account's default cost)."""
    if not passphrase:
        raise KeystoreError("a keystore needs a non-empty passphrase")
    keystore = Account.encrypt(account.key, passphrase, kdf="scrypt")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keystore))
    path.chmod(0o600)
    return path


def read_keystore(path: Path, passphrase: str) -> LocalAccount:
    try:
        keystore = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise KeystoreError(f"cannot read the keystore {path}: {exc}") from None
    crypto = keystore.get("crypto") or keystore.get("Crypto") or {}
    if crypto.get("kdf") != "scrypt" or int(crypto.get("kdfparams", {}).get("n", 0)) < MIN_SCRYPT_N:
        raise KeystoreError(f"{path}: only scrypt keystores with n ≥ {MIN_SCRYPT_N} are accepted")
    try:
        return Account.from_key(Account.decrypt(keystore, passphrase))
    except ValueError:
        raise KeystoreError(f"{path}: wrong passphrase") from None


def _passphrase(settings: Settings, role: str) -> str:
    value = settings.secrets.keystore_passphrases.get_secret_value()
    if value.lstrip().startswith("{"):
        table = json.loads(value)
        if role not in table:
            raise KeystoreError(f"LEDGER_KEYSTORE_PASSPHRASES has no passphrase for {role}")
        return table[role]
    return value


def load_signers(settings: Settings, roles: list[str] | None = None) -> dict[str, LocalAccount]:
    """The signer of each role: from keystores when LEDGER_KEYSTORE_DIR is set (required outside
    development), else from the development mnemonic."""
    roles = roles or list(ROLE_ACCOUNT_INDEX)
    if settings.secrets.keystore_dir is None:
        if settings.environment != "development":
            raise KeystoreError("LEDGER_KEYSTORE_DIR must be set outside development")
        signers = signers_from_mnemonic(settings.secrets.mnemonic.get_secret_value())
        return {role: signers[role] for role in roles}
    signers = {}
    for role in roles:
        path = settings.secrets.keystore_dir / f"{role}.json"
        if not path.exists():
            raise KeystoreError(f"no keystore for {role} at {path}")
        signers[role] = read_keystore(path, _passphrase(settings, role))
    return signers
