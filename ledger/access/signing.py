"""Request signatures (DESIGN.md §6), shared by the API, the signed client and webhooks.

The signed message is five lines joined by "\\n", UTF-8, no trailing newline:

    METHOD            upper case, e.g. POST
    PATH?QUERY        the request target exactly as sent; no "?" when there is no query
    TIMESTAMP         unix seconds, decimal
    NONCE             16 to 128 characters of A-Z a-z 0-9 _ -
    hex(digest(body)) lower-case hex of the profile's digest of the raw body bytes (of b"" when there is none)

The algorithms follow LEDGER_CRYPTO_PROFILE (ledger.core.crypto_profile): the standard profile
signs with Ed25519 over hex(sha256(body)), X-Signature the base64 of the 64-byte signature; the gm
profile signs with SM2 (SM3, default user id) over hex(sm3(body)), X-Signature the base64 of the
DER signature. A key object tells which profile it belongs to, so signing needs no setting.
"""

import base64
import binascii
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.core.crypto_profile import (
    PROFILES,
    STANDARD,
    CryptoProfile,
    KeyFormatError,
    current_profile,
    profile_of_key,
    profile_of_raw_public_key,
)

NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
HEADERS = ("X-Client-Id", "X-Timestamp", "X-Nonce", "X-Signature")


def canonical_request(
    method: str, target: str, timestamp: str, nonce: str, body: bytes, profile: CryptoProfile = STANDARD
) -> bytes:
    """The bytes that are signed: METHOD, PATH?QUERY, TIMESTAMP, NONCE, hex(digest(body))."""
    return "\n".join((method.upper(), target, timestamp, nonce, profile.digest(body).hex())).encode()


def new_nonce() -> str:
    return secrets.token_urlsafe(18)  # 24 characters, 144 bits


@dataclass(frozen=True)
class SignedHeaders:
    client_id: str
    timestamp: str
    nonce: str
    signature: str

    def as_dict(self) -> dict[str, str]:
        return dict(zip(HEADERS, (self.client_id, self.timestamp, self.nonce, self.signature)))


def sign_request(
    private_key: Any,
    *,
    client_id: str,
    method: str,
    target: str,
    body: bytes,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> SignedHeaders:
    """Sign with an Ed25519 key (standard profile) or an SM2 key (gm profile), as the key is."""
    profile = profile_of_key(private_key)
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or new_nonce()
    signature = profile.signatures.sign(private_key, canonical_request(method, target, ts, nonce, body, profile))
    return SignedHeaders(client_id, ts, nonce, base64.b64encode(signature).decode())


def verify_signature(public_key: Any, signature_b64: str, message: bytes) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    return profile_of_key(public_key).signatures.verify(public_key, signature, message)


def key_id(public_key: Any) -> str:
    """First 16 hex digits of the profile's digest (SHA-256, SM3) of the raw public key: a short name for
    logs and the CLI."""
    profile = profile_of_key(public_key)
    return profile.digest(raw_public_key(public_key)).hex()[:16]


def raw_public_key(public_key: Any) -> bytes:
    """The raw bytes the registry keeps: Ed25519's 32, or SM2's 65-byte uncompressed point."""
    return profile_of_key(public_key).signatures.raw_public_key(public_key)


def public_key_from_raw(raw: bytes) -> Any:
    return profile_of_raw_public_key(raw).signatures.public_key_from_raw(raw)


def load_public_key(text: str | bytes, profile: CryptoProfile | None = None) -> Any:
    """A PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----") or base64 of the raw key, of the
    profile's algorithm (LEDGER_CRYPTO_PROFILE's when not given); another algorithm's key is refused by name."""
    return (profile or current_profile()).load_public_key(text)


def load_private_key(path: Path, password: bytes | None = None) -> Any:
    """A PEM PKCS#8 private key of either profile (what `ledger clients keygen` wrote)."""
    data = path.read_bytes()
    for profile in PROFILES.values():
        try:
            return profile.load_private_key(data, password)
        except KeyFormatError:
            continue
    raise KeyFormatError(f"{path}: neither an Ed25519 nor an SM2 private key")


def private_key_pem(key: Any) -> bytes:
    return profile_of_key(key).signatures.private_key_pem(key)


def public_key_pem(key: Any) -> bytes:
    return profile_of_key(key).signatures.public_key_pem(key)


def private_key_from_seed(seed_b64: str, profile: CryptoProfile = STANDARD) -> Any:
    """The platform's private key from base64 of 32 bytes (how settings carry it): the Ed25519 seed,
    or the SM2 private scalar under the gm profile."""
    try:
        return profile.signatures.private_key_from_secret(base64.b64decode(seed_b64, validate=True))
    except (ValueError, binascii.Error) as exc:
        raise KeyFormatError(f"not base64 of a 32-byte {profile.signatures.name} private key: {exc}") from None
