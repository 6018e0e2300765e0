"""Ed25519 request signatures (DESIGN.md §6), shared by the API, the signed client and webhooks.

The signed message is five lines joined by "\\n", UTF-8, no trailing newline:

    METHOD            upper case, e.g. POST
    PATH?QUERY        the request target exactly as sent; no "?" when there is no query
    TIMESTAMP         unix seconds, decimal
    NONCE             16 to 128 characters of A-Z a-z 0-9 _ -
    hex(sha256(body)) lower-case hex of the raw body bytes (of b"" when there is none)

X-Signature is the standard base64 (with padding) of the 64-byte Ed25519 signature.
"""

import base64
import binascii
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.core.errors import LedgerError

NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
HEADERS = ("X-Client-Id", "X-Timestamp", "X-Nonce", "X-Signature")


class KeyFormatError(LedgerError):
    """A key file that is neither PEM nor base64 of the raw 32 bytes."""


def canonical_request(method: str, target: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """The bytes that are signed: METHOD, PATH?QUERY, TIMESTAMP, NONCE, hex(sha256(body))."""
    return "\n".join((method.upper(), target, timestamp, nonce, hashlib.sha256(body).hexdigest())).encode()


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
    private_key: Ed25519PrivateKey,
    *,
    client_id: str,
    method: str,
    target: str,
    body: bytes,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> SignedHeaders:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or new_nonce()
    signature = private_key.sign(canonical_request(method, target, ts, nonce, body))
    return SignedHeaders(client_id, ts, nonce, base64.b64encode(signature).decode())


def verify_signature(public_key: Ed25519PublicKey, signature_b64: str, message: bytes) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key.verify(signature, message)
        return True
    except (InvalidSignature, binascii.Error, ValueError):
        return False


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 of the raw public key: a short name for logs and the CLI."""
    return hashlib.sha256(raw_public_key(public_key)).hexdigest()[:16]


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_from_raw(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def load_public_key(text: str | bytes) -> Ed25519PublicKey:
    """A PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----") or base64 of the raw 32 bytes."""
    data = text.encode() if isinstance(text, str) else text
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_public_key(data)
            if not isinstance(key, Ed25519PublicKey):
                raise KeyFormatError("the PEM key is not an Ed25519 public key")
            return key
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(data.strip(), validate=True))
    except (ValueError, binascii.Error) as exc:
        raise KeyFormatError(f"not an Ed25519 public key (PEM or base64 of 32 bytes): {exc}") from None


def load_private_key(path: Path, password: bytes | None = None) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=password)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFormatError(f"{path}: not an Ed25519 private key")
    return key


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def private_key_from_seed(seed_b64: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from base64 of its 32-byte seed (how settings carry the platform key)."""
    try:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed_b64, validate=True))
    except (ValueError, binascii.Error) as exc:
        raise KeyFormatError(f"not base64 of a 32-byte Ed25519 seed: {exc}") from None
