"""Login throttling, shared by the portal's /login and the API's /v1/auth/login.

Failed logins are counted per account (the username as typed, known or not) and per client address,
in the rate-limit store every API process shares (web.kit.throttle). Each attempt is counted BEFORE
its password is checked, so that guesses sent at the same moment cannot all slip in before the first
failure is recorded. A login that succeeds hands its count back: the account's count starts afresh
(its owner knows the password) and the address's hit is returned (the address counts failures only).

LEDGER_API_LOGIN_FAILURES_PER_ACCOUNT (10) or LEDGER_API_LOGIN_FAILURES_PER_ADDRESS (100) failures within
LEDGER_API_LOGIN_WINDOW_SECONDS (900) of the first lock the account (or the address) out until that
window ends, whatever password is sent then. The store unreachable: no login at all (503), never an
unthrottled one.
"""

import math
import time

from fastapi import Request
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Engine

from ledger.access.users import Person, authenticate
from ledger.core.settings import ApiSettings
from web.kit.throttle import ThrottleUnavailable, storage_of


class LockedOut(Exception):
    """Too many failed logins for this account (`scope` "account") or from this address ("address")."""

    def __init__(self, scope: str, retry_after: int):
        super().__init__(f"too many failed logins for this {scope}; retry after {retry_after} s")
        self.scope, self.retry_after = scope, retry_after  # seconds


def _items(settings: ApiSettings) -> dict[str, RateLimitItem]:
    window = settings.login_window_seconds
    return {
        "account": RateLimitItemPerSecond(settings.login_failures_per_account, window, namespace="login-account"),
        "address": RateLimitItemPerSecond(settings.login_failures_per_address, window, namespace="login-address"),
    }


def login_limiter_of(request: Request) -> FixedWindowRateLimiter:
    """Fixed windows: each starts at its first counted failure, so a lock-out ends at a time one can say."""
    return FixedWindowRateLimiter(storage_of(request))


def log_in(
    limiter: FixedWindowRateLimiter,
    engine: Engine,
    settings: ApiSettings,
    *,
    username: str,
    password: str,
    address: str,
) -> Person | None:
    """The person when the password is right and neither count is over its limit; None for a wrong
    password. Raises LockedOut over a limit, ThrottleUnavailable when the store cannot be reached.
    Blocking (Redis and Argon2id): call it in the thread pool."""
    items, keys = _items(settings), {"account": username, "address": address}
    try:
        allowed = {scope: limiter.hit(item, keys[scope]) for scope, item in items.items()}  # count first
        for scope, ok in allowed.items():
            if not ok:
                reset = limiter.get_window_stats(items[scope], keys[scope]).reset_time
                raise LockedOut(scope, max(1, math.ceil(reset - time.time())))
    except StorageError as exc:
        raise ThrottleUnavailable(str(exc.storage_error)) from exc
    person = authenticate(engine, username=username, password=password)
    if person is not None:
        try:
            limiter.clear(items["account"], username)  # the owner knows the password: start afresh
            address_item = items["address"]  # hand back this attempt's hit: the address counts failures only
            limiter.storage.incr(address_item.key_for(address), address_item.get_expiry(), amount=-1)
        except StorageError:
            pass  # the login stands; the counts merely stay one higher until their window ends
    return person
