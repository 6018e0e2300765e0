"""Personal data at rest: AES-256-GCM field encryption with key ids and rotation.

A stored value is the token `<kid>.<base64url(nonce ‖ ciphertext ‖ tag)>`. The associated data
binds it to its place (`context`, e.g. "enterprises.name:<uscc>"), so a ciphertext copied into
another row or column does not decrypt. The first key of LEDGER_FIELD_KEYS encrypts; every
listed key decrypts; `ledger keys rotate` re-encrypts the tokens still under an older key.
"""

import base64
import binascii
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.core.errors import LedgerError

NONCE_BYTES = 12


class FieldEncryptionError(LedgerError):
    """A key setting that cannot be used, or a token that does not decrypt."""


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


class FieldCipher:
    """Encrypts and decrypts text fields with the current key; decrypts with any known key."""

    def __init__(self, keys: dict[str, bytes], current: str):
        if current not in keys:
            raise FieldEncryptionError(f"the current key id {current!r} has no key")
        for kid, key in keys.items():
            if len(key) != 32:
                raise FieldEncryptionError(f"field key {kid!r} must be 32 bytes (AES-256), not {len(key)}")
            if not (kid.isascii() and kid.isalnum()):
                raise FieldEncryptionError(f"field key id {kid!r} must be letters and digits")
        self._aead = {kid: AESGCM(key) for kid, key in keys.items()}
        self.current = current

    @classmethod
    def from_setting(cls, value: str) -> "FieldCipher":
        """Parse "kid:base64key,kid:base64key"; the first key is the current one."""
        keys, order = {}, []
        for part in filter(None, (p.strip() for p in value.split(","))):
            kid, sep, encoded = part.partition(":")
            if not sep:
                raise FieldEncryptionError("LEDGER_FIELD_KEYS: each key is written kid:base64key")
            try:
                keys[kid] = base64.b64decode(encoded, validate=True)
            except binascii.Error:
                raise FieldEncryptionError(f"LEDGER_FIELD_KEYS: key {kid!r} is not base64") from None
            order.append(kid)
        if not order:
            raise FieldEncryptionError("LEDGER_FIELD_KEYS is empty")
        return cls(keys, order[0])

    @staticmethod
    def new_key() -> str:
        """A fresh random key, base64, for LEDGER_FIELD_KEYS."""
        return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self.current].encrypt(nonce, plaintext.encode(), self._aad(self.current, context))
        return f"{self.current}.{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"

    def decrypt(self, token: str, *, context: str) -> str:
        kid, _, body = token.partition(".")
        if kid not in self._aead:
            raise FieldEncryptionError(
                f"no field key {kid!r} is configured (was it dropped before `ledger keys rotate`?)"
            )
        raw = _b64decode(body)
        try:
            return self._aead[kid].decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._aad(kid, context)).decode()
        except InvalidTag:
            raise FieldEncryptionError(f"a field under key {kid!r} does not decrypt in {context!r}") from None

    def key_id(self, token: str) -> str:
        return token.partition(".")[0]

    def needs_rotation(self, token: str) -> bool:
        return self.key_id(token) != self.current

    @staticmethod
    def _aad(kid: str, context: str) -> bytes:
        return f"{kid}|{context}".encode()


@cache
def _cipher_for(value: str) -> FieldCipher:
    return FieldCipher.from_setting(value)


def field_cipher(settings=None) -> FieldCipher:
    """The cipher configured by LEDGER_FIELD_KEYS."""
    from ledger.core.settings import get_settings

    settings = settings or get_settings()
    return _cipher_for(settings.secrets.field_keys.get_secret_value())
