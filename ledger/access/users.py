"""People who log in: office staff, regulators, enterprises (bound to their USCC), and their sessions.

Passwords are hashed with Argon2id (argon2-cffi, RFC 9106 low-memory profile: 64 MiB, t=3);
a hash made with weaker parameters is upgraded at the next successful login.

A session is a row of `login_sessions` named by the SHA-256 of a random token that only the
person's cookie holds: it ends when the row goes (logout, a password change, a new login on the
same browser) or at its expiry, whatever the cookie says.
"""

import hashlib
import secrets
import time
from contextlib import suppress
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from ledger.access import store
from ledger.access.registry import AccessError
from ledger.core.identifiers import InvalidIdentifier, validate_uscc
from ledger.db.access_model import USER_ROLES

hasher = PasswordHasher()  # Argon2id with the library's RFC 9106 defaults
MIN_PASSWORD_LENGTH = 10
# Verified against when the username is unknown, so a login takes as long either way.
_DUMMY_HASH = hasher.hash("not a password of anyone")


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    display_name: str
    role: str
    uscc: str | None

    @property
    def enterprise_uscc(self) -> str:
        """The enterprise an enterprise user acts for (add_user binds each to its USCC)."""
        if self.uscc is None:
            raise ValueError(f"user {self.username} ({self.role}) acts for no enterprise")
        return self.uscc


def _person(row) -> Person:
    return Person(row.id, row.username, row.display_name, row.role, row.uscc)


def add_user(
    engine: Engine, *, username: str, password: str, role: str, display_name: str | None = None, uscc: str | None = None
) -> Person:
    if role not in USER_ROLES:
        raise AccessError(f"role must be one of {', '.join(USER_ROLES)}, not {role!r}")
    if role == "enterprise":
        if not uscc:
            raise AccessError("an enterprise user needs --uscc (the enterprise it acts for)")
        try:
            uscc = validate_uscc(uscc)
        except InvalidIdentifier as exc:
            raise AccessError(str(exc)) from None
    elif uscc:
        raise AccessError("only enterprise users are bound to a USCC")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccessError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    now = time.time()
    try:
        with engine.begin() as conn:
            user_id = store.insert_user(
                conn,
                username=username,
                display_name=display_name or username,
                role=role,
                uscc=uscc,
                password_hash=hasher.hash(password),
                active=True,
                created_at=now,
            )
    except IntegrityError:
        raise AccessError(f"user {username!r} exists already") from None
    return Person(user_id, username, display_name or username, role, uscc)


def authenticate(engine: Engine, *, username: str, password: str) -> Person | None:
    """The person when the password matches an active user; None otherwise (same cost either way)."""
    row = None
    if username.isprintable():  # no user is named with a control character (and PostgreSQL refuses NUL)
        with engine.connect() as conn:
            row = store.get_user(conn, username=username)
    if row is None or not row.active:
        with suppress(VerificationError):  # the same cost as a real check
            hasher.verify(_DUMMY_HASH, password)
        return None
    try:
        hasher.verify(row.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if hasher.check_needs_rehash(row.password_hash):
        with engine.begin() as conn:
            store.update_user(conn, row.id, password_hash=hasher.hash(password))
    return _person(row)


def set_password(engine: Engine, *, username: str, password: str) -> None:
    """A new password; every session of the user ends with the old one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccessError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    with engine.begin() as conn:
        row = store.get_user(conn, username=username)
        if row is None:
            raise AccessError(f"no user {username!r}")
        store.update_user(conn, row.id, password_hash=hasher.hash(password))
        store.delete_login_sessions_of(conn, user_id=row.id)


def _session_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(engine: Engine, person: Person, *, max_age_seconds: float, replacing: str | None = None) -> str:
    """A new session of `person`; returns its token (for the cookie only). The session the browser
    carried until now (`replacing`, whoever's it was) ends, and so do the user's expired ones."""
    token, now = secrets.token_urlsafe(32), time.time()
    with engine.begin() as conn:
        if replacing:
            store.delete_login_session(conn, session_hash=_session_hash(replacing))
        store.delete_login_sessions_of(conn, user_id=person.id, expired_by=now)
        store.insert_login_session(
            conn, session_hash=_session_hash(token), user_id=person.id, now=now, expires_at=now + max_age_seconds
        )
    return token


def person_of_session(engine: Engine, token: str) -> Person | None:
    """Who the session belongs to, while it lasts and the user is active; None for any other token."""
    with engine.connect() as conn:
        row = store.user_of_login_session(conn, session_hash=_session_hash(token), now=time.time())
    return _person(row) if row is not None else None


def end_session(engine: Engine, token: str) -> None:
    with engine.begin() as conn:
        store.delete_login_session(conn, session_hash=_session_hash(token))


def end_all_sessions(engine: Engine, user_id: int) -> None:
    """Every session of the user ends (logout everywhere)."""
    with engine.begin() as conn:
        store.delete_login_sessions_of(conn, user_id=user_id)
