"""The crypto profiles' algorithms against published known answers and an independent implementation
(gmalg, pure Python): SM3 (GB/T 32905), SM4-GCM (RFC 8998), SM2 signatures with the default user id."""

import base64

import gmalg
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from ledger.core.crypto_profile import GM, STANDARD, Sm4Gcm, profile_named
from ledger.core.errors import LedgerError, SettingsError
from ledger.core.settings import DEV_FIELD_KEYS, DEV_FIELD_KEYS_GM, Settings, get_settings

DEFAULT_USER_ID = b"1234567812345678"  # GB/T 35276-2017


def test_sm3_gives_the_standards_answer_for_abc():
    assert GM.digest(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert STANDARD.digest(b"abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_sm4_gcm_gives_rfc_8998s_answer_and_refuses_a_changed_byte():
    """RFC 8998, appendix A.1 (SM4-GCM)."""
    aead = Sm4Gcm(bytes.fromhex("0123456789ABCDEFFEDCBA9876543210"))
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plain = bytes.fromhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD") + bytes.fromhex(
        "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
    )
    sealed = aead.encrypt(nonce, plain, aad)
    assert sealed.hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
        "83DE3541E4C2B58177E065A9BF7B62EC"  # the tag
    )
    assert aead.decrypt(nonce, sealed, aad) == plain
    with pytest.raises(InvalidTag):
        aead.decrypt(nonce, sealed[:-1] + bytes([sealed[-1] ^ 1]), aad)
    with pytest.raises(InvalidTag):
        aead.decrypt(nonce, sealed, aad + b"!")


# The SM2 verification example of draft-shen-sm2-ecdsa-02 ("message digest", default user id) as
# Tongsuo's own tests carry it on the recommended curve.
KAT_PUBLIC_KEY = b"""-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAE1VSMeCXLtWFQo1Bs1XRkr4oa4FGd
+vPFgiHcgQyvKN2SEHN2j+PVnOVOeaSURc9z/tIwhlNwJyZNFolG1HlTPg==
-----END PUBLIC KEY-----
"""
KAT_R = 0x29C72393298604AA6BA814EBA1D5D4F5F67653E6948E7AFF360011FB50E32024
KAT_S = 0xC905A376FF742B866E4913A77DDCFE70E17DEF0B18D026A9EA0748E2582427B7


def test_sm2_verifies_the_known_answer_with_the_default_user_id_and_refuses_a_changed_message():
    public = GM.load_public_key(KAT_PUBLIC_KEY)
    signature = encode_dss_signature(KAT_R, KAT_S)
    assert GM.signatures.verify(public, signature, b"message digest")
    assert not GM.signatures.verify(public, signature, b"message digesT")
    assert not GM.signatures.verify(public, encode_dss_signature(KAT_R, KAT_S + 1), b"message digest")
    # The same r and s with s not padded as DER requires: refused as a bad signature, not an error.
    loose = bytes.fromhex("3044") + bytes.fromhex("0220") + KAT_R.to_bytes(32, "big")
    loose += bytes.fromhex("0220") + KAT_S.to_bytes(32, "big")
    assert not GM.signatures.verify(public, loose, b"message digest")


def test_sm2_signatures_cross_check_with_an_independent_implementation():
    key = GM.signatures.generate()
    secret = key.private_numbers().private_value.to_bytes(32, "big")
    point = GM.signatures.raw_public_key(key.public_key())
    independent = gmalg.SM2(sk=secret, uid=DEFAULT_USER_ID, pk=point)
    message = b"POST\n/v1/tax/payments\n1795939200\nn0nce-2026-11-29-000001\n" + GM.digest(b"{}").hex().encode()

    ours = GM.signatures.sign(key, message)
    r, s = decode_dss_signature(ours)
    assert independent.verify(message, r.to_bytes(32, "big"), s.to_bytes(32, "big"))

    theirs_r, theirs_s = independent.sign(message)
    theirs = encode_dss_signature(int.from_bytes(theirs_r, "big"), int.from_bytes(theirs_s, "big"))
    assert GM.signatures.verify(key.public_key(), theirs, message)
    assert not GM.signatures.verify(key.public_key(), theirs, message + b"x")


def test_the_independent_implementation_verifies_the_known_answer_too_from_the_raw_key():
    raw = GM.signatures.raw_public_key(GM.load_public_key(KAT_PUBLIC_KEY))
    assert GM.signatures.raw_public_key(GM.load_public_key(base64.b64encode(raw))) == raw
    assert gmalg.SM2(uid=DEFAULT_USER_ID, pk=raw).verify(
        b"message digest", KAT_R.to_bytes(32, "big"), KAT_S.to_bytes(32, "big")
    )


def test_one_setting_chooses_the_profile_and_a_wrong_name_is_refused_naming_the_variable(monkeypatch):
    assert Settings().crypto_profile == "standard"
    assert Settings().secrets.field_keys.get_secret_value() == DEV_FIELD_KEYS
    monkeypatch.setenv("LEDGER_CRYPTO_PROFILE", "gm")
    gm = Settings()
    assert gm.crypto_profile == "gm"
    assert gm.secrets.field_keys.get_secret_value() == DEV_FIELD_KEYS_GM  # SM4's 16-byte development key
    monkeypatch.setenv("LEDGER_CRYPTO_PROFILE", "sm")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="LEDGER_CRYPTO_PROFILE='sm'"):
        get_settings()
    with pytest.raises(LedgerError, match="must be one of standard, gm"):
        profile_named("sm")


def test_production_refuses_the_gm_development_field_key(monkeypatch):
    monkeypatch.setenv("LEDGER_CRYPTO_PROFILE", "gm")
    monkeypatch.setenv("LEDGER_ENVIRONMENT", "production")
    monkeypatch.setenv("LEDGER_MNEMONIC", "a real mnemonic is not checked here")
    monkeypatch.setenv("LEDGER_ENTERPRISE_PEPPER", "not-the-development-pepper")
    with pytest.raises(SettingsError, match="LEDGER_FIELD_KEYS: the development field key is refused"):
        get_settings()
