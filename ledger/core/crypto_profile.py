"""The off-chain cryptography by profile, chosen by the one setting LEDGER_CRYPTO_PROFILE.

* "standard": Ed25519 signatures, SHA-256 digests, AES-256-GCM field encryption (what the
  ledger always did, byte for byte);
* "gm" (国密, GB/T 39786-2021): SM2 signatures (GB/T 32918.2) with SM3 and the default user id
  "1234567812345678" (GB/T 35276), SM3 digests, SM4-GCM field encryption.

SM3 and SM4-GCM come from `cryptography` (its OpenSSL has both); SM2 signatures from Tongsuo's
`tongsuopy`, which `cryptography` lacks (docs/gm-profile.md says why that library). The chain's
own secp256k1 signatures and keccak hashes are the EVM's and stay under both profiles.

Keys describe themselves: an Ed25519 public key is 32 raw bytes, an SM2 one the 65-byte
uncompressed point; a PEM names its algorithm. So a key of the other profile is refused with an
error that says so, and `profile_of_key(key)` tells which profile a key object belongs to.
"""

import base64
import binascii
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, get_args

from cryptography import exceptions as cryptography_exceptions
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization as std_serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from tongsuopy.crypto import exceptions as tongsuo_exceptions
from tongsuopy.crypto import hashes as tongsuo_hashes
from tongsuopy.crypto import serialization as tongsuo_serialization
from tongsuopy.crypto.asymciphers import ec as tongsuo_ec

from ledger.core.errors import LedgerError
from ledger.core.settings import CryptoProfileName as ProfileName

PROFILE_NAMES: tuple[str, ...] = get_args(ProfileName)
GCM_TAG_BYTES = 16


class KeyFormatError(LedgerError):
    """A key that cannot be read, or one of the other profile's algorithm (the message says which)."""


def _pem_algorithm(data: bytes) -> str:
    """What algorithm a PEM key is, to name it in an error ("Ed25519", "SM2", "RSA", …)."""
    readers: tuple[tuple[Any, type[Exception]], ...] = (
        (std_serialization.load_pem_public_key, cryptography_exceptions.UnsupportedAlgorithm),
        (lambda d: std_serialization.load_pem_private_key(d, None), cryptography_exceptions.UnsupportedAlgorithm),
        (tongsuo_serialization.load_pem_public_key, tongsuo_exceptions.UnsupportedAlgorithm),
        (lambda d: tongsuo_serialization.load_pem_private_key(d, None), tongsuo_exceptions.UnsupportedAlgorithm),
    )
    for read, unsupported in readers:
        try:
            key = read(data)
        except (ValueError, TypeError, unsupported):
            continue
        if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
            return "Ed25519"
        if SM2.owns(key):
            return "SM2" if key.curve.name == "SM2" else f"EC {key.curve.name}"
        return type(key).__name__.lstrip("_").removesuffix("PublicKey").removesuffix("PrivateKey")
    return "unreadable"


class SignatureScheme(Protocol):
    """What request signing needs of an algorithm; keys are the library's key objects."""

    name: str  # "Ed25519" or "SM2", as /v1/public/keys/webhook names it
    raw_length: int  # bytes of a raw public key: 32 (Ed25519) or 65 (SM2), which tells them apart

    def owns(self, key: object) -> bool: ...
    def generate(self) -> Any: ...
    def sign(self, private_key: Any, message: bytes) -> bytes: ...
    def verify(self, public_key: Any, signature: bytes, message: bytes) -> bool: ...
    def raw_public_key(self, public_key: Any) -> bytes: ...
    def public_key_from_raw(self, raw: bytes) -> Any: ...
    def load_public_key(self, data: bytes) -> Any: ...
    def load_private_key(self, data: bytes, password: bytes | None) -> Any: ...
    def private_key_from_secret(self, secret: bytes) -> Any: ...
    def private_key_pem(self, private_key: Any) -> bytes: ...
    def public_key_pem(self, public_key: Any) -> bytes: ...


class Ed25519Scheme:
    """RFC 8032 Ed25519; raw public keys of 32 bytes, signatures of 64."""

    name = "Ed25519"
    raw_length = 32

    def owns(self, key: object) -> bool:
        return isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey)

    def generate(self) -> ed25519.Ed25519PrivateKey:
        return ed25519.Ed25519PrivateKey.generate()

    def sign(self, private_key: ed25519.Ed25519PrivateKey, message: bytes) -> bytes:
        return private_key.sign(message)

    def verify(self, public_key: ed25519.Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
        try:
            public_key.verify(signature, message)
            return True
        except cryptography_exceptions.InvalidSignature:
            return False

    def raw_public_key(self, public_key: ed25519.Ed25519PublicKey) -> bytes:
        return public_key.public_bytes(std_serialization.Encoding.Raw, std_serialization.PublicFormat.Raw)

    def public_key_from_raw(self, raw: bytes) -> ed25519.Ed25519PublicKey:
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)

    def load_public_key(self, data: bytes) -> ed25519.Ed25519PublicKey:
        key = std_serialization.load_pem_public_key(data)
        if not isinstance(key, ed25519.Ed25519PublicKey):
            raise KeyFormatError("not an Ed25519 public key")
        return key

    def load_private_key(self, data: bytes, password: bytes | None) -> ed25519.Ed25519PrivateKey:
        key = std_serialization.load_pem_private_key(data, password=password)
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise KeyFormatError("not an Ed25519 private key")
        return key

    def private_key_from_secret(self, secret: bytes) -> ed25519.Ed25519PrivateKey:
        return ed25519.Ed25519PrivateKey.from_private_bytes(secret)  # the 32-byte seed

    def private_key_pem(self, private_key: ed25519.Ed25519PrivateKey) -> bytes:
        return private_key.private_bytes(
            std_serialization.Encoding.PEM, std_serialization.PrivateFormat.PKCS8, std_serialization.NoEncryption()
        )

    def public_key_pem(self, public_key: ed25519.Ed25519PublicKey) -> bytes:
        pem, spki = std_serialization.Encoding.PEM, std_serialization.PublicFormat.SubjectPublicKeyInfo
        return public_key.public_bytes(pem, spki)


class Sm2Scheme:
    """GB/T 32918.2 SM2 signatures with SM3 over Z_A ‖ M, Z_A from the default user id
    "1234567812345678" (GB/T 35276), as Tongsuo computes it. Raw public keys are the 65-byte
    uncompressed point 04 ‖ x ‖ y; signatures the DER SEQUENCE {r, s} of GM/T 0009."""

    name = "SM2"
    raw_length = 65

    def owns(self, key: object) -> bool:
        return isinstance(key, tongsuo_ec.EllipticCurvePrivateKey | tongsuo_ec.EllipticCurvePublicKey)

    def generate(self) -> tongsuo_ec.EllipticCurvePrivateKey:
        return tongsuo_ec.generate_private_key(tongsuo_ec.SM2())

    def sign(self, private_key: tongsuo_ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
        return private_key.sign(message, tongsuo_ec.ECDSA(tongsuo_hashes.SM3()))

    def verify(self, public_key: tongsuo_ec.EllipticCurvePublicKey, signature: bytes, message: bytes) -> bool:
        # Only canonical DER reaches Tongsuo: it reports other encodings as an internal error, not a bad signature.
        try:
            if encode_dss_signature(*decode_dss_signature(signature)) != signature:
                return False
            public_key.verify(signature, message, tongsuo_ec.ECDSA(tongsuo_hashes.SM3()))
            return True
        except (ValueError, tongsuo_exceptions.InvalidSignature):
            return False

    def raw_public_key(self, public_key: tongsuo_ec.EllipticCurvePublicKey) -> bytes:
        return public_key.public_bytes(
            tongsuo_serialization.Encoding.X962, tongsuo_serialization.PublicFormat.UncompressedPoint
        )

    def public_key_from_raw(self, raw: bytes) -> tongsuo_ec.EllipticCurvePublicKey:
        if len(raw) != self.raw_length or raw[0] != 4:
            raise ValueError("an SM2 public key is the 65-byte uncompressed point 04 ‖ x ‖ y")
        return tongsuo_ec.EllipticCurvePublicKey.from_encoded_point(tongsuo_ec.SM2(), raw)

    def _checked(self, key: Any, kind: str) -> Any:
        if not self.owns(key) or key.curve.name != "SM2":
            raise KeyFormatError(f"not an SM2 {kind} key")
        return key

    def load_public_key(self, data: bytes) -> tongsuo_ec.EllipticCurvePublicKey:
        try:
            return self._checked(tongsuo_serialization.load_pem_public_key(data), "public")
        except tongsuo_exceptions.UnsupportedAlgorithm:
            raise ValueError("not an SM2 public key") from None

    def load_private_key(self, data: bytes, password: bytes | None) -> tongsuo_ec.EllipticCurvePrivateKey:
        try:
            return self._checked(tongsuo_serialization.load_pem_private_key(data, password=password), "private")
        except tongsuo_exceptions.UnsupportedAlgorithm:
            raise ValueError("not an SM2 private key") from None

    def private_key_from_secret(self, secret: bytes) -> tongsuo_ec.EllipticCurvePrivateKey:
        if len(secret) != 32:
            raise ValueError(f"an SM2 private key is 32 bytes, not {len(secret)}")
        return tongsuo_ec.derive_private_key(int.from_bytes(secret, "big"), tongsuo_ec.SM2())

    def private_key_pem(self, private_key: tongsuo_ec.EllipticCurvePrivateKey) -> bytes:
        return private_key.private_bytes(
            tongsuo_serialization.Encoding.PEM,
            tongsuo_serialization.PrivateFormat.PKCS8,
            tongsuo_serialization.NoEncryption(),
        )

    def public_key_pem(self, public_key: tongsuo_ec.EllipticCurvePublicKey) -> bytes:
        return public_key.public_bytes(
            tongsuo_serialization.Encoding.PEM, tongsuo_serialization.PublicFormat.SubjectPublicKeyInfo
        )


class Sm4Gcm:
    """SM4-GCM (RFC 8998) with AESGCM's interface: encrypt returns ciphertext ‖ 16-byte tag, decrypt
    raises InvalidTag. The mode is `cryptography`'s GCM over its SM4 block cipher."""

    def __init__(self, key: bytes):
        self._key = key

    def encrypt(self, nonce: bytes, data: bytes, associated_data: bytes) -> bytes:
        encryptor = Cipher(algorithms.SM4(self._key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(associated_data)
        return encryptor.update(data) + encryptor.finalize() + encryptor.tag

    def decrypt(self, nonce: bytes, data: bytes, associated_data: bytes) -> bytes:
        if len(data) < GCM_TAG_BYTES:
            raise InvalidTag
        decryptor = Cipher(algorithms.SM4(self._key), modes.GCM(nonce, data[-GCM_TAG_BYTES:])).decryptor()
        decryptor.authenticate_additional_data(associated_data)
        return decryptor.update(data[:-GCM_TAG_BYTES]) + decryptor.finalize()


class Aead(Protocol):
    def encrypt(self, nonce: bytes, data: bytes, associated_data: bytes) -> bytes: ...
    def decrypt(self, nonce: bytes, data: bytes, associated_data: bytes) -> bytes: ...


@dataclass(frozen=True)
class CryptoProfile:
    name: ProfileName
    signatures: SignatureScheme
    digest_name: str  # "sha256" or "sm3": the body line of a signed request, document digests, key ids
    hash_algorithm: Callable[[], hashes.HashAlgorithm]
    field_cipher_name: str
    field_aead: Callable[[bytes], Aead]  # key -> AEAD with AESGCM's interface
    field_key_bytes: int
    token_tag: str  # how a field token names its cipher: "" (AES-256-GCM, as always) or "sm4"

    def digest(self, data: bytes) -> bytes:
        h = hashes.Hash(self.hash_algorithm())
        h.update(data)
        return h.finalize()

    def new_field_key(self) -> bytes:
        return os.urandom(self.field_key_bytes)

    def load_public_key(self, text: str | bytes) -> Any:
        """A PEM SubjectPublicKeyInfo, or base64 of the raw public key, of this profile's algorithm;
        a key of the other profile is refused by name."""
        data = text.encode() if isinstance(text, str) else text
        algorithm = self.signatures.name
        try:
            if b"-----BEGIN" in data:
                found = _pem_algorithm(data)
                if found not in (algorithm, "unreadable"):
                    raise KeyFormatError(self._wrong_key(found, "public"))
                return self.signatures.load_public_key(data)
            raw = base64.b64decode(data.strip(), validate=True)
            other = next((s for s in SCHEMES if s is not self.signatures and len(raw) == s.raw_length), None)
            if other is not None:
                raise KeyFormatError(self._wrong_key(other.name, "public"))
            return self.signatures.public_key_from_raw(raw)
        except (ValueError, binascii.Error) as exc:
            size = {"Ed25519": "32", "SM2": "65 (04 ‖ x ‖ y)"}[algorithm]
            raise KeyFormatError(
                f"not an {algorithm} public key (PEM, or base64 of the raw {size} bytes): {exc}"
            ) from None

    def load_private_key(self, data: bytes, password: bytes | None = None) -> Any:
        found = _pem_algorithm(data) if password is None else "unreadable"
        if found not in (self.signatures.name, "unreadable"):
            raise KeyFormatError(self._wrong_key(found, "private"))
        try:
            return self.signatures.load_private_key(data, password)
        except (ValueError, TypeError) as exc:
            raise KeyFormatError(f"not an {self.signatures.name} private key: {exc}") from None

    def _wrong_key(self, found: str, kind: str) -> str:
        owner = next((p.name for p in PROFILES.values() if p.signatures.name == found), None)
        whose = f" (the {owner} profile's)" if owner else ""
        return (
            f"an {found} {kind} key{whose}; LEDGER_CRYPTO_PROFILE={self.name} signs with {self.signatures.name}"
            f" keys ({self.signatures.name} key files come from `ledger clients keygen` under this profile)"
        )


ED25519 = Ed25519Scheme()
SM2 = Sm2Scheme()
SCHEMES: tuple[Ed25519Scheme | Sm2Scheme, ...] = (ED25519, SM2)

STANDARD = CryptoProfile(
    name="standard",
    signatures=ED25519,
    digest_name="sha256",
    hash_algorithm=hashes.SHA256,
    field_cipher_name="AES-256-GCM",
    field_aead=AESGCM,
    field_key_bytes=32,
    token_tag="",
)
GM = CryptoProfile(
    name="gm",
    signatures=SM2,
    digest_name="sm3",
    hash_algorithm=hashes.SM3,
    field_cipher_name="SM4-GCM",
    field_aead=Sm4Gcm,
    field_key_bytes=16,
    token_tag="sm4",
)
PROFILES: dict[str, CryptoProfile] = {"standard": STANDARD, "gm": GM}


def profile_named(name: str) -> CryptoProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise LedgerError(f"LEDGER_CRYPTO_PROFILE={name!r}: must be one of {', '.join(PROFILE_NAMES)}") from None


def profile_of_key(key: object) -> CryptoProfile:
    """The profile a key object belongs to (an Ed25519 key: standard; an SM2 key: gm)."""
    for profile in PROFILES.values():
        if profile.signatures.owns(key):
            return profile
    raise KeyFormatError(f"a {type(key).__name__} is neither an Ed25519 nor an SM2 key")


def profile_of_raw_public_key(raw: bytes) -> CryptoProfile:
    """The profile of a stored raw public key, told by its length (32: Ed25519, 65: SM2)."""
    for profile in PROFILES.values():
        if len(raw) == profile.signatures.raw_length:
            return profile
    raise KeyFormatError(f"a raw public key of {len(raw)} bytes is neither Ed25519 (32) nor SM2 (65)")


def current_profile(settings=None) -> CryptoProfile:
    """The profile LEDGER_CRYPTO_PROFILE chose."""
    from ledger.core.settings import get_settings  # at call time: a test's own environment

    return PROFILES[(settings or get_settings()).crypto_profile]
