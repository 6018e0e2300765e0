"""`ledger clients …` and `ledger users …` on a real SQLite database, as an operator runs them."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from ledger.access import store
from ledger.db.engine import make_engine
from devtools import REPO_ROOT


def ledger(tmp_path, *args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "ledger", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'l.db'}",
            "PYTHONPATH": str(REPO_ROOT),
            **(env or {}),
        },
        timeout=120,
    )


@pytest.fixture
def upgraded(tmp_path, migrated_templates):
    """A database at the head revision, as the operator's first step (`ledger db upgrade`, run as a command
    in tests/ledger/cli/test_db.py) leaves it: a copy of one migrated once per session."""
    migrated_templates.sqlite(tmp_path / "l.db")


def test_a_client_is_registered_rotated_to_a_second_key_and_refused_a_third(tmp_path, upgraded, crypto_profile):
    for name in ("one", "two", "three"):
        assert ledger(tmp_path, "clients", "keygen", "--out", str(tmp_path / f"{name}.key")).returncode == 0
    added = ledger(
        tmp_path,
        "clients",
        "add",
        "--name",
        "tax-bureau",
        "--role",
        "tax",
        "--public-key",
        str(tmp_path / "one.key.pub"),
    )
    assert added.returncode == 0, added.stderr
    assert (
        ledger(
            tmp_path, "clients", "add-key", "--name", "tax-bureau", "--public-key", str(tmp_path / "two.key.pub")
        ).returncode
        == 0
    )
    third = ledger(
        tmp_path, "clients", "add-key", "--name", "tax-bureau", "--public-key", str(tmp_path / "three.key.pub")
    )
    assert third.returncode == 1 and "retire one first" in third.stderr
    with make_engine(f"sqlite:///{tmp_path / 'l.db'}").connect() as conn:
        client = store.get_client(conn, "tax-bureau")
    assert client.role == "tax" and len(client.keys) == 2
    assert {len(raw) for _, raw in client.keys} == {crypto_profile.signatures.raw_length}  # Ed25519 or SM2 keys
    retired = ledger(tmp_path, "clients", "retire-key", "--name", "tax-bureau", "--key-id", client.keys[0][0])
    assert retired.returncode == 0
    assert (
        ledger(
            tmp_path, "clients", "add-key", "--name", "tax-bureau", "--public-key", str(tmp_path / "three.key.pub")
        ).returncode
        == 0
    )


def test_a_client_with_an_unknown_role_or_a_bad_key_is_refused(tmp_path, upgraded):
    (tmp_path / "bad.pub").write_text("not a key")
    assert ledger(tmp_path, "clients", "keygen", "--out", str(tmp_path / "k")).returncode == 0
    wrong_role = ledger(
        tmp_path, "clients", "add", "--name", "x", "--role", "bank", "--public-key", str(tmp_path / "k.pub")
    )
    assert wrong_role.returncode == 1 and "role must be one of" in wrong_role.stderr
    bad_key = ledger(
        tmp_path, "clients", "add", "--name", "x", "--role", "tax", "--public-key", str(tmp_path / "bad.pub")
    )
    assert bad_key.returncode == 1 and "Ed25519" in bad_key.stderr


def test_a_key_made_under_the_other_profile_is_refused_naming_both_algorithms(tmp_path, upgraded, crypto_profile):
    other = "standard" if crypto_profile.name == "gm" else "gm"
    made = ledger(tmp_path, "clients", "keygen", "--out", str(tmp_path / "k"), env={"LEDGER_CRYPTO_PROFILE": other})
    assert made.returncode == 0, made.stderr
    refused = ledger(
        tmp_path, "clients", "add", "--name", "x", "--role", "tax", "--public-key", str(tmp_path / "k.pub")
    )
    assert refused.returncode == 1
    assert f"profile's); LEDGER_CRYPTO_PROFILE={crypto_profile.name} signs with {crypto_profile.signatures.name}" in (
        refused.stderr
    )
    with make_engine(f"sqlite:///{tmp_path / 'l.db'}").connect() as conn:
        assert store.get_client(conn, "x") is None


def test_users_are_added_with_argon2id_hashes_and_enterprises_need_a_valid_uscc(tmp_path, upgraded):
    env = {"LEDGER_NEW_USER_PASSWORD": "a long enough password"}
    assert ledger(tmp_path, "users", "add", "--username", "clerk", "--role", "office", env=env).returncode == 0
    no_uscc = ledger(tmp_path, "users", "add", "--username", "ent", "--role", "enterprise", env=env)
    assert no_uscc.returncode == 1 and "--uscc" in no_uscc.stderr
    bad_uscc = ledger(
        tmp_path, "users", "add", "--username", "ent", "--role", "enterprise", "--uscc", "91410100MA3X5L8R2X", env=env
    )
    assert bad_uscc.returncode == 1 and "uscc" in bad_uscc.stderr
    short = ledger(
        tmp_path, "users", "add", "--username", "x", "--role", "office", env={"LEDGER_NEW_USER_PASSWORD": "short"}
    )
    assert short.returncode == 1 and "password" in short.stderr
    good = ledger(
        tmp_path, "users", "add", "--username", "ent", "--role", "enterprise", "--uscc", "91410100MA3X5L8R2W", env=env
    )
    assert good.returncode == 0, good.stderr
    with make_engine(f"sqlite:///{tmp_path / 'l.db'}").connect() as conn:
        hashes = conn.execute(select(store.users_t.c.password_hash)).scalars().all()
    assert len(hashes) == 2 and all(h.startswith("$argon2id$") for h in hashes)


def test_clients_and_users_on_a_database_not_upgraded_yet_are_refused_in_one_line_naming_the_command_to_run(tmp_path):
    for command in (["clients", "list"], ["users", "add", "--username", "clerk", "--role", "office"]):
        refused = ledger(tmp_path, *command, env={"LEDGER_NEW_USER_PASSWORD": "a long enough password"})
        assert refused.returncode == 1, refused.stdout
        assert "Traceback" not in refused.stderr and refused.stderr.strip().count("\n") == 0, refused.stderr
        assert 'run "ledger db upgrade"' in refused.stderr


def test_a_new_password_ends_every_session_of_the_user_and_bad_input_changes_nothing(tmp_path, upgraded):
    from ledger.access.users import authenticate, person_of_session, start_session

    env = {"LEDGER_NEW_USER_PASSWORD": "a long enough password"}
    assert ledger(tmp_path, "users", "add", "--username", "clerk", "--role", "office", env=env).returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'l.db'}")
    clerk = authenticate(engine, username="clerk", password="a long enough password")
    token = start_session(engine, clerk, max_age_seconds=3600)
    short = ledger(tmp_path, "users", "set-password", "--username", "clerk", env={"LEDGER_NEW_USER_PASSWORD": "short"})
    unknown = ledger(tmp_path, "users", "set-password", "--username", "nobody", env=env)
    assert short.returncode == 1 and "password" in short.stderr and "nobody" in unknown.stderr
    assert person_of_session(engine, token) == clerk  # nothing changed
    changed = ledger(
        tmp_path, "users", "set-password", "--username", "clerk", env={"LEDGER_NEW_USER_PASSWORD": "another password"}
    )
    assert changed.returncode == 0 and "sessions have ended" in changed.stdout
    assert person_of_session(engine, token) is None
    assert authenticate(engine, username="clerk", password="another password") == clerk
