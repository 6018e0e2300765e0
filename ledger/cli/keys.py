"""`ledger keys ...`: field-encryption keys (rotation) and role keystores."""

import getpass
from typing import Annotated

import typer

from ledger.cli.common import current_engine, fail
from ledger.core.errors import LedgerError
from ledger.core.settings import get_settings

keys = typer.Typer(no_args_is_help=True, help="Field-encryption keys and signing keystores.")


@keys.command("rotate")
def rotate() -> None:
    """Re-encrypt personal data under the first key of LEDGER_FIELD_KEYS (older keys must still be listed)."""
    from sqlmodel import Session

    from ledger.core.field_encryption import field_cipher
    from ledger.domain.personal_data import key_ids_in_use, reencrypt

    settings = get_settings()
    try:
        cipher = field_cipher(settings)
        engine = current_engine(settings.database.url)
        with Session(engine) as session:
            changed = reencrypt(session, cipher=cipher)
            in_use = key_ids_in_use(session)
    except LedgerError as exc:
        fail(exc)
    typer.echo(f"re-encrypted {changed} row(s) under key {cipher.current}; tokens per key id: {in_use}")


@keys.command("new-field-key")
def new_field_key(kid: Annotated[str, typer.Argument(help="Key id (letters and digits), e.g. k2026a")]) -> None:
    """Print a fresh key as kid:base64 (AES-256, or SM4 under LEDGER_CRYPTO_PROFILE=gm) — put it FIRST in
    LEDGER_FIELD_KEYS, then run `ledger keys rotate`."""
    from ledger.core.crypto_profile import current_profile
    from ledger.core.field_encryption import FieldCipher

    if not (kid.isascii() and kid.isalnum()):
        fail(ValueError("the key id must be letters and digits"))
    typer.echo(f"{kid}:{FieldCipher.new_key(current_profile(get_settings()))}")


@keys.command("keystore")
def keystore(role: Annotated[str, typer.Argument(help="Role name, e.g. TAX_ROLE")]) -> None:
    """Create a new signing key for ROLE as an encrypted keystore in LEDGER_KEYSTORE_DIR (scrypt);
    prints its address, to be granted the role by governance."""
    from eth_account import Account

    from ledger.chain.keystore import write_keystore
    from ledger.core.roles import ROLE_ACCOUNT_INDEX

    settings = get_settings()
    if role not in ROLE_ACCOUNT_INDEX:
        fail(ValueError(f"role must be one of {', '.join(ROLE_ACCOUNT_INDEX)}"))
    if settings.secrets.keystore_dir is None:
        fail(ValueError("set LEDGER_KEYSTORE_DIR first"))
    path = settings.secrets.keystore_dir / f"{role}.json"
    if path.exists():
        fail(ValueError(f"{path} exists; move it away first"))
    passphrase = getpass.getpass(f"passphrase for {role}: ")
    if passphrase != getpass.getpass("again: "):
        fail(ValueError("the passphrases differ"))
    try:
        account = Account.create()
        write_keystore(account, passphrase, path)
    except LedgerError as exc:
        fail(exc)
    typer.echo(f"{role}: {account.address} -> {path}")
