"""Field encryption at rest (AES-256-GCM, or SM4-GCM under the gm profile, with key ids) and
`ledger keys rotate`, under both crypto profiles."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import select
from sqlmodel import Session

from ledger.core.crypto_profile import GM, STANDARD
from ledger.core.field_encryption import FieldCipher, FieldEncryptionError
from ledger.core.settings import DEV_FIELD_KEYS, DEV_FIELD_KEYS_GM
from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.db.write_model import Enterprise
from ledger.domain import projects
from tests.support.samples import make_uscc, project

DEV_KEYS = {"standard": DEV_FIELD_KEYS, "gm": DEV_FIELD_KEYS_GM}
TOKEN_HEAD = {"standard": "dev1.", "gm": "sm4:dev1."}


@pytest.fixture
def old(crypto_profile) -> FieldCipher:
    return FieldCipher.from_setting(DEV_KEYS[crypto_profile.name], crypto_profile)


def test_a_field_round_trips_and_is_bound_to_its_place(old, crypto_profile):
    token = old.encrypt("郑州市样例建设有限公司", context="enterprises.name:A")
    assert "郑州" not in token and token.startswith(TOKEN_HEAD[crypto_profile.name])
    assert old.decrypt(token, context="enterprises.name:A") == "郑州市样例建设有限公司"
    with pytest.raises(FieldEncryptionError):
        old.decrypt(token, context="enterprises.name:B")  # copied into another row
    head, _, body = token.partition(".")
    tampered = f"{head}.{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}"
    with pytest.raises(FieldEncryptionError):
        old.decrypt(tampered, context="enterprises.name:A")


def test_the_first_key_encrypts_and_every_listed_key_decrypts(old, crypto_profile):
    both = FieldCipher.from_setting(
        f"k2:{FieldCipher.new_key(crypto_profile)},{DEV_KEYS[crypto_profile.name]}", crypto_profile
    )
    old_token = old.encrypt("x", context="c")
    assert both.decrypt(old_token, context="c") == "x" and both.needs_rotation(old_token)
    assert both.key_id(old_token) == "dev1"
    assert both.encrypt("x", context="c").startswith(TOKEN_HEAD[crypto_profile.name].replace("dev1", "k2"))
    with pytest.raises(FieldEncryptionError, match="no field key"):
        FieldCipher.from_setting(f"k3:{FieldCipher.new_key(crypto_profile)}", crypto_profile).decrypt(
            old_token, context="c"
        )


def test_bad_key_settings_are_refused(crypto_profile):
    with pytest.raises(FieldEncryptionError, match=f"must be {crypto_profile.field_key_bytes} bytes"):
        FieldCipher.from_setting("k1:c2hvcnQ=", crypto_profile)
    with pytest.raises(FieldEncryptionError, match="kid:base64key"):
        FieldCipher.from_setting("justakey", crypto_profile)


def test_a_key_or_a_token_of_the_other_profile_is_refused_by_name(old, crypto_profile):
    other = GM if crypto_profile is STANDARD else STANDARD
    with pytest.raises(FieldEncryptionError, match=f"the {other.name} profile's {other.field_cipher_name} key"):
        FieldCipher.from_setting(DEV_KEYS[other.name], crypto_profile)
    foreign = FieldCipher.from_setting(DEV_KEYS[other.name], other).encrypt("x", context="c")
    with pytest.raises(
        FieldEncryptionError, match=f"sealed with {other.field_cipher_name}, the {other.name} profile's"
    ):
        old.decrypt(foreign, context="c")


def test_ledger_keys_rotate_re_encrypts_every_token_under_the_new_key(tmp_path, crypto_profile):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    with Session(engine) as session:
        for n in range(1, 4):
            projects.register_project(session, project=project(n), client="approval")
        session.commit()
    new_setting = f"k2:{FieldCipher.new_key(crypto_profile)}"
    old_setting = DEV_KEYS[crypto_profile.name]
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_FIELD_KEYS": f"{new_setting},{old_setting}"}
    done = subprocess.run([sys.executable, "-m", "ledger", "keys", "rotate"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "re-encrypted 3 row(s) under key k2" in done.stdout
    new_only = FieldCipher.from_setting(new_setting, crypto_profile)  # the old key can now be dropped
    with Session(engine) as session:
        rows = session.execute(select(Enterprise).order_by(Enterprise.uscc)).scalars().all()
        assert [new_only.decrypt(r.name_token, context=f"enterprises.name:{r.uscc}") for r in rows] == [
            f"样例建设单位 {n} 有限公司" for n in range(1, 4)
        ]
        assert {
            new_only.decrypt(r.contact_phone_token, context=f"enterprises.contact_phone:{r.uscc}") for r in rows
        } == {"0371-12345678"}
        assert rows[0].uscc == make_uscc(1)
    again = subprocess.run([sys.executable, "-m", "ledger", "keys", "rotate"], env=env, capture_output=True, text=True)
    assert "re-encrypted 0 row(s)" in again.stdout


def test_ledger_keys_new_field_key_prints_a_key_of_the_profiles_size(crypto_profile):
    done = subprocess.run(
        [sys.executable, "-m", "ledger", "keys", "new-field-key", "k9"], env=os.environ, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    FieldCipher.from_setting(done.stdout.strip(), crypto_profile)  # refused unless the size is the profile's
