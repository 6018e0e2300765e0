"""Personal data at rest: field encryption with key ids and rotation, by crypto profile.

A stored value is the token `<kid>.<base64url(nonce ‖ ciphertext ‖ tag)>` under AES-256-GCM (the
standard profile), `sm4:<kid>.<…>` under SM4-GCM (LEDGER_CRYPTO_PROFILE=gm): a token names its
cipher, so one of the other profile is refused by name. The associated data binds it to its
place (`context`, e.g. "enterprises.name:<uscc>"), so a ciphertext copied into another row or
column does not decrypt. The first key of LEDGER_FIELD_KEYS encrypts; every listed key decrypts;
`ledger keys rotate` re-encrypts the tokens still under an older key.
"""

import base64
import binascii
import os
from functools import cache

from cryptography.exceptions import InvalidTag

from ledger.core.crypto_profile import PROFILES, STANDARD, CryptoProfile, current_profile
from ledger.core.errors import LedgerError

NONCE_BYTES = 12


class FieldEncryptionError(LedgerError):
    """A key setting that cannot be used, or a token that does not decrypt."""


def _b64decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


class FieldCipher:
    """Encrypts and decrypts text fields with the current key; decrypts with any known key."""

    def __init__(self, keys: dict[str, bytes], current: str, profile: CryptoProfile = STANDARD):
        if current not in keys:
            raise FieldEncryptionError(f"the current key id {current!r} has no key")
        size, cipher = profile.field_key_bytes, profile.field_cipher_name
        for kid, key in keys.items():
            if len(key) != size:
                other = next((p for p in PROFILES.values() if p.field_key_bytes == len(key)), None)
                hint = f" (the {other.name} profile's {other.field_cipher_name} key?)" if other else ""
                raise FieldEncryptionError(
                    f"field key {kid!r} must be {size} bytes ({cipher}, LEDGER_CRYPTO_PROFILE={profile.name}), "
                    f"not {len(key)}{hint}"
                )
            if not (kid.isascii() and kid.isalnum()):
                raise FieldEncryptionError(f"field key id {kid!r} must be letters and digits")
        self._aead = {kid: profile.field_aead(key) for kid, key in keys.items()}
        self.current = current
        self.profile = profile

    @classmethod
    def from_setting(cls, value: str, profile: CryptoProfile = STANDARD) -> "FieldCipher":
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
        return cls(keys, order[0], profile)

    @staticmethod
    def new_key(profile: CryptoProfile = STANDARD) -> str:
        """A fresh random key of the profile's cipher, base64, for LEDGER_FIELD_KEYS."""
        return base64.b64encode(profile.new_field_key()).decode()

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        head = self._head(self.current)
        sealed = self._aead[self.current].encrypt(nonce, plaintext.encode(), self._aad(head, context))
        return f"{head}.{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"

    def decrypt(self, token: str, *, context: str) -> str:
        head, _, body = token.partition(".")
        tag, _, kid = head.rpartition(":")
        if tag != self.profile.token_tag:
            sealed_by = next((p for p in PROFILES.values() if p.token_tag == tag), None)
            cipher = f"{sealed_by.field_cipher_name}, the {sealed_by.name} profile's" if sealed_by else f"{tag!r}"
            raise FieldEncryptionError(
                f"a field in {context!r} is sealed with {cipher}; "
                f"LEDGER_CRYPTO_PROFILE={self.profile.name} opens {self.profile.field_cipher_name} fields only"
            )
        if kid not in self._aead:
            raise FieldEncryptionError(
                f"no field key {kid!r} is configured (was it dropped before `ledger keys rotate`?)"
            )
        raw = _b64decode(body)
        try:
            return self._aead[kid].decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._aad(head, context)).decode()
        except InvalidTag:
            raise FieldEncryptionError(f"a field under key {kid!r} does not decrypt in {context!r}") from None

    def key_id(self, token: str) -> str:
        return token.partition(".")[0].rpartition(":")[2]

    def needs_rotation(self, token: str) -> bool:
        return self.key_id(token) != self.current

    def _head(self, kid: str) -> str:
        """What precedes the "." of a token: the key id, after the cipher's tag when it has one."""
        return f"{self.profile.token_tag}:{kid}" if self.profile.token_tag else kid

    @staticmethod
    def _aad(head: str, context: str) -> bytes:
        return f"{head}|{context}".encode()


@cache
def _cipher_for(value: str, profile_name: str) -> FieldCipher:
    return FieldCipher.from_setting(value, PROFILES[profile_name])


def field_cipher(settings=None) -> FieldCipher:
    """The cipher configured by LEDGER_FIELD_KEYS, of LEDGER_CRYPTO_PROFILE's algorithm."""
    from ledger.core.settings import get_settings

    settings = settings or get_settings()
    return _cipher_for(settings.secrets.field_keys.get_secret_value(), current_profile(settings).name)
