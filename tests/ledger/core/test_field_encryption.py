"""Field encryption at rest (AES-256-GCM with key ids) and `ledger keys rotate`."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import select
from sqlmodel import Session

from ledger.db.engine import make_engine
from ledger.db.schema import upgrade_schema
from ledger.db.write_model import Enterprise
from ledger.domain import projects
from ledger.core.field_encryption import FieldCipher, FieldEncryptionError
from ledger.core.settings import DEV_FIELD_KEYS
from tests.support.samples import make_uscc, project

OLD = FieldCipher.from_setting(DEV_FIELD_KEYS)


def test_a_field_round_trips_and_is_bound_to_its_place():
    token = OLD.encrypt("郑州市样例建设有限公司", context="enterprises.name:A")
    assert "郑州" not in token and token.startswith("dev1.")
    assert OLD.decrypt(token, context="enterprises.name:A") == "郑州市样例建设有限公司"
    with pytest.raises(FieldEncryptionError):
        OLD.decrypt(token, context="enterprises.name:B")  # copied into another row
    kid, _, body = token.partition(".")
    tampered = f"{kid}.{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}"
    with pytest.raises(FieldEncryptionError):
        OLD.decrypt(tampered, context="enterprises.name:A")


def test_the_first_key_encrypts_and_every_listed_key_decrypts():
    both = FieldCipher.from_setting(f"k2:{FieldCipher.new_key()},{DEV_FIELD_KEYS}")
    old_token = OLD.encrypt("x", context="c")
    assert both.decrypt(old_token, context="c") == "x" and both.needs_rotation(old_token)
    assert both.encrypt("x", context="c").startswith("k2.")
    with pytest.raises(FieldEncryptionError, match="no field key"):
        FieldCipher.from_setting(f"k3:{FieldCipher.new_key()}").decrypt(old_token, context="c")


def test_bad_key_settings_are_refused():
    with pytest.raises(FieldEncryptionError, match="32 bytes"):
        FieldCipher.from_setting("k1:c2hvcnQ=")
    with pytest.raises(FieldEncryptionError, match="kid:base64key"):
        FieldCipher.from_setting("justakey")


def test_ledger_keys_rotate_re_encrypts_every_token_under_the_new_key(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    engine = make_engine(url)
    upgrade_schema(engine)
    with Session(engine) as session:
        for n in range(1, 4):
            projects.register_project(session, project=project(n), client="approval")
        session.commit()
    new_setting = f"k2:{FieldCipher.new_key()}"
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_FIELD_KEYS": f"{new_setting},{DEV_FIELD_KEYS}"}
    done = subprocess.run([sys.executable, "-m", "ledger", "keys", "rotate"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "re-encrypted 3 row(s) under key k2" in done.stdout
    new_only = FieldCipher.from_setting(new_setting)  # the old key can now be dropped
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
