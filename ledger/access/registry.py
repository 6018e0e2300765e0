"""Register system clients and rotate their public keys (at most two active at once): Ed25519 keys, or
SM2 keys under LEDGER_CRYPTO_PROFILE=gm (a key of the other profile is refused by name)."""

import time

from sqlalchemy import Engine

from ledger.access import store
from ledger.access.signing import key_id, load_public_key, raw_public_key
from ledger.core.crypto_profile import CryptoProfile
from ledger.core.errors import LedgerError
from ledger.db.access_model import CLIENT_ROLES

MAX_ACTIVE_KEYS = 2


class AccessError(LedgerError):
    """A client or user operation that breaks a rule (unknown role, third active key, …)."""


def add_client(
    engine: Engine, *, name: str, role: str, public_key_text: str | bytes, profile: CryptoProfile | None = None
) -> str:
    """Register a client with its first public key (of `profile`, LEDGER_CRYPTO_PROFILE's when not given);
    returns the key id."""
    if role not in CLIENT_ROLES:
        raise AccessError(f"role must be one of {', '.join(CLIENT_ROLES)}, not {role!r}")
    public_key = load_public_key(public_key_text, profile)
    now = time.time()
    with engine.begin() as conn:
        if not store.insert_client(conn, client_id=name, role=role, now=now):
            raise AccessError(f"client {name!r} exists already; use `ledger clients add-key` to rotate")
        store.insert_key(
            conn, client_id=name, key_id=key_id(public_key), public_key=raw_public_key(public_key), now=now
        )
    return key_id(public_key)


def add_key(engine: Engine, *, name: str, public_key_text: str | bytes, profile: CryptoProfile | None = None) -> str:
    """Add a second active key (rotation: the client switches, then the old key is retired)."""
    public_key = load_public_key(public_key_text, profile)
    with engine.begin() as conn:
        client = store.get_client(conn, name)
        if client is None:
            raise AccessError(f"no client {name!r}")
        if key_id(public_key) in {k for k, _ in client.keys}:
            raise AccessError(f"key {key_id(public_key)} is already active for {name!r}")
        if len(client.keys) >= MAX_ACTIVE_KEYS:
            raise AccessError(
                f"{name!r} has {MAX_ACTIVE_KEYS} active keys; retire one first "
                f"(`ledger clients retire-key --name {name} --key-id …`)"
            )
        store.insert_key(
            conn, client_id=name, key_id=key_id(public_key), public_key=raw_public_key(public_key), now=time.time()
        )
    return key_id(public_key)


def retire_key(engine: Engine, *, name: str, key_id: str) -> None:
    with engine.begin() as conn:
        if not store.retire_key(conn, client_id=name, key_id=key_id, now=time.time()):
            raise AccessError(f"{name!r} has no active key {key_id}")
