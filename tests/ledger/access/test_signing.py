"""The request-signing scheme, pinned by the worked example in docs/integrators/signing.md."""

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.access.signing import (
    KeyFormatError,
    canonical_request,
    load_public_key,
    public_key_pem,
    raw_public_key,
    sign_request,
    verify_signature,
)

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


def test_an_empty_body_hashes_as_the_empty_string():
    assert canonical_request("get", "/v1/tax/levies?limit=5", "1", "n" * 16, b"").endswith(
        b"\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_a_signature_does_not_verify_over_another_message_or_as_garbage():
    key = Ed25519PrivateKey.generate()
    message = canonical_request("POST", "/v1/tax/payments", "1", "n" * 16, b"{}")
    signature = base64.b64encode(key.sign(message)).decode()
    assert verify_signature(key.public_key(), signature, message)
    assert not verify_signature(
        key.public_key(), signature, canonical_request("POST", "/v1/tax/payments", "1", "n" * 16, b"[]")
    )
    assert not verify_signature(key.public_key(), "not base64!", message)


def test_public_keys_load_from_pem_or_raw_base64_and_nothing_else():
    key = Ed25519PrivateKey.generate().public_key()
    assert raw_public_key(load_public_key(public_key_pem(key))) == raw_public_key(key)
    assert raw_public_key(load_public_key(base64.b64encode(raw_public_key(key)))) == raw_public_key(key)
    with pytest.raises(KeyFormatError):
        load_public_key("c2hvcnQ=")
