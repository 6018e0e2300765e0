"""The request-signing scheme, pinned by the worked example in docs/integrators/signing.md, and the
same scheme under both crypto profiles (Ed25519 + SHA-256; SM2 + SM3 under gm, docs/gm-profile.md)."""

import base64
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devtools import REPO_ROOT
from ledger.access.signing import (
    KeyFormatError,
    canonical_request,
    key_id,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_from_raw,
    public_key_pem,
    raw_public_key,
    sign_request,
    verify_signature,
)
from ledger.core.crypto_profile import GM, STANDARD

SEED = bytes(range(32))
BODY = (
    b'{"levy_number":"2026-410105-70-01-000123-A1","voucher_number":"332026000000123456","amount_fen":2100000000,'
    b'"paid_at":"2026-11-29T09:30:00+08:00","payer_uscc":"91410100MA3X5L8R2W"}'
)


def test_the_readme_example_signs_to_the_documented_signature():
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    headers = sign_request(
        key,
        client_id="tax-bureau",
        method="POST",
        target="/v1/tax/payments",
        body=BODY,
        timestamp=1795939200,
        nonce="n0nce-2026-11-29-000001",
    )
    assert base64.b64encode(raw_public_key(key.public_key())).decode() == "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
    assert canonical_request("POST", "/v1/tax/payments", "1795939200", "n0nce-2026-11-29-000001", BODY) == (
        b"POST\n/v1/tax/payments\n1795939200\nn0nce-2026-11-29-000001\n"
        b"5b8721d9097049fde7c28982060f6dca58c07cdba2229fb1611e25de946cad96"
    )
    assert headers.signature == (
        "4AfyFbaw79xQMskGJMeacSJWBADy4ZOa490xHLCIfYQ1uKpS2+9mR2Wb1U+IG52iXp5nLT4u+kQjCk+X4E6yCw=="
    )
    assert headers.as_dict() == {
        "X-Client-Id": "tax-bureau",
        "X-Timestamp": "1795939200",
        "X-Nonce": "n0nce-2026-11-29-000001",
        "X-Signature": headers.signature,
    }


def test_the_gm_example_signs_the_same_lines_over_the_sm3_of_the_body():
    """docs/gm-profile.md's example: SM2 signatures are randomised, so the message is pinned and the
    signature checked by verifying it."""
    message = canonical_request("POST", "/v1/tax/payments", "1795939200", "n0nce-2026-11-29-000001", BODY, GM)
    assert message == (
        b"POST\n/v1/tax/payments\n1795939200\nn0nce-2026-11-29-000001\n"
        b"2537a4a1b8d4aaf198678b584bbc9fd9a2bf7295b848833d4bba610969f03e5e"
    )
    key = GM.signatures.private_key_from_secret(SEED)
    headers = sign_request(
        key,
        client_id="tax-bureau",
        method="POST",
        target="/v1/tax/payments",
        body=BODY,
        timestamp=1795939200,
        nonce="n0nce-2026-11-29-000001",
    )
    assert verify_signature(key.public_key(), headers.signature, message)
    assert not verify_signature(key.public_key(), headers.signature, message.replace(b"POST", b"PUT"))


def test_an_empty_body_hashes_as_the_empty_string():
    assert canonical_request("get", "/v1/tax/levies?limit=5", "1", "n" * 16, b"").endswith(
        b"\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert canonical_request("get", "/v1/tax/levies?limit=5", "1", "n" * 16, b"", GM).endswith(
        b"\n1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"  # SM3 of b""
    )


def test_a_signature_does_not_verify_over_another_message_or_as_garbage(crypto_profile):
    key = crypto_profile.signatures.generate()
    message = canonical_request("POST", "/v1/tax/payments", "1", "n" * 16, b"{}", crypto_profile)
    signature = sign_request(
        key, client_id="c", method="POST", target="/v1/tax/payments", body=b"{}", timestamp=1, nonce="n" * 16
    ).signature
    assert verify_signature(key.public_key(), signature, message)
    assert not verify_signature(
        key.public_key(), signature, canonical_request("POST", "/v1/tax/payments", "1", "n" * 16, b"[]", crypto_profile)
    )
    assert not verify_signature(key.public_key(), "not base64!", message)
    assert not verify_signature(crypto_profile.signatures.generate().public_key(), signature, message)


def test_public_keys_load_from_pem_or_raw_base64_and_nothing_else(crypto_profile):
    key = crypto_profile.signatures.generate().public_key()
    assert raw_public_key(load_public_key(public_key_pem(key), crypto_profile)) == raw_public_key(key)
    raw = base64.b64encode(raw_public_key(key))
    assert raw_public_key(load_public_key(raw, crypto_profile)) == raw_public_key(key)
    assert raw_public_key(public_key_from_raw(raw_public_key(key))) == raw_public_key(key)
    with pytest.raises(KeyFormatError, match=crypto_profile.signatures.name):
        load_public_key("c2hvcnQ=", crypto_profile)


def test_a_key_of_the_other_profile_is_refused_naming_both_algorithms(crypto_profile):
    other = GM if crypto_profile is STANDARD else STANDARD
    foreign = other.signatures.generate().public_key()
    for text in (public_key_pem(foreign), base64.b64encode(raw_public_key(foreign))):
        with pytest.raises(KeyFormatError) as refused:
            load_public_key(text, crypto_profile)
        message = str(refused.value)
        assert f"an {other.signatures.name} public key (the {other.name} profile's)" in message
        assert f"LEDGER_CRYPTO_PROFILE={crypto_profile.name} signs with {crypto_profile.signatures.name}" in message


def test_a_private_key_file_of_either_profile_loads_and_signs_under_its_own(crypto_profile, tmp_path):
    key = crypto_profile.signatures.generate()
    path = tmp_path / "client.key"
    path.write_bytes(private_key_pem(key))
    loaded = load_private_key(path)
    assert key_id(loaded.public_key()) == key_id(key.public_key())
    assert crypto_profile.signatures.owns(loaded)
    (tmp_path / "junk.key").write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(KeyFormatError, match="neither an Ed25519 nor an SM2 private key"):
        load_private_key(tmp_path / "junk.key")


def test_a_key_id_is_the_first_16_hex_of_the_profiles_digest_of_the_raw_key(crypto_profile):
    public = crypto_profile.signatures.generate().public_key()
    assert key_id(public) == crypto_profile.digest(raw_public_key(public)).hex()[:16]


def test_the_gm_profile_pages_python_example_signs_a_request_the_ledger_verifies(tmp_path, monkeypatch):
    page = (REPO_ROOT / "docs" / "gm-profile.md").read_text()
    (example,) = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    key = GM.signatures.generate()
    (tmp_path / "tax-bureau.key").write_bytes(private_key_pem(key))
    monkeypatch.chdir(tmp_path)
    names: dict = {}
    exec(compile(example, "docs/gm-profile.md", "exec"), names)
    headers, body = names["headers"], names["body"]
    message = canonical_request("POST", "/v1/tax/payments", headers["X-Timestamp"], headers["X-Nonce"], body, GM)
    assert verify_signature(key.public_key(), headers["X-Signature"], message)
