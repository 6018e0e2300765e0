"""Rate limits counted in one store shared by every API process (the `limits` package): the public
routes' limit per client address here, the login limits in web.kit.login_throttle.

The store is LEDGER_API_THROTTLE_STORAGE_URL: redis://… in production (the API refuses to start there
with memory://, which counts in one process only). A public route allows each client address
LEDGER_API_PUBLIC_BURST requests within any burst / LEDGER_API_PUBLIC_RATE_PER_SECOND seconds (a moving
window); beyond that it gets 429 with Retry-After. When the store cannot be reached the public routes
are served unthrottled (and a warning is logged, at most once a minute): an outage of the counter must
not take the public pages down. The client address is the connection's peer: behind a reverse proxy,
run uvicorn with `--proxy-headers --forwarded-allow-ips <proxy>` so that it is the proxy's X-Forwarded-For.
"""

import logging
import math
import time

from fastapi import Request
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool

from ledger.core.settings import ApiSettings, Settings
from web.kit.deps import settings_for
from web.kit.problems import ApiProblem

log = logging.getLogger(__name__)
REDIS_TIMEOUT_SECONDS = 0.5  # a Redis that does not answer costs a request this much, not a hung worker
UNAVAILABLE_RETRY_SECONDS = 30  # what a refused login is told to wait while the store is unreachable
_WARN_EVERY_SECONDS = 60.0


class ThrottleUnavailable(Exception):
    """The rate-limit store cannot be reached (Redis down): logins answer 503, public reads pass."""


def _open_storage(settings: ApiSettings) -> Storage:
    url = settings.throttle_storage_url
    if url.startswith("memory://"):
        return MemoryStorage()
    return RedisStorage(
        url,
        wrap_exceptions=True,  # every Redis failure is a limits StorageError
        key_prefix=settings.throttle_key_prefix,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )


def storage_of(request: Request) -> Storage:
    """The app's store as configured (one per store: tests give apps stores of their own)."""
    settings = settings_for(request).api
    key = (settings.throttle_storage_url, settings.throttle_key_prefix)
    storages = getattr(request.app.state, "throttle_storages", None)
    if storages is None:
        storages = request.app.state.throttle_storages = {}
    if key not in storages:
        storages[key] = _open_storage(settings)
    return storages[key]


def limiter_of(request: Request) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_of(request))


def seconds_until_free(limiter: MovingWindowRateLimiter, item: RateLimitItem, *identifiers: str) -> int:
    """Whole seconds (at least 1) until `item` allows another hit for these identifiers."""
    return max(1, math.ceil(limiter.get_window_stats(item, *identifiers).reset_time - time.time()))


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def public_item(settings: ApiSettings) -> RateLimitItem:
    window = max(1, math.ceil(settings.public_burst / settings.public_rate_per_second))
    return RateLimitItemPerSecond(settings.public_burst, window, namespace="public")


_last_warning = float("-inf")  # monotonic time of the last warning


def _warn_unthrottled(exc: Exception) -> None:
    global _last_warning
    if time.monotonic() - _last_warning >= _WARN_EVERY_SECONDS:
        _last_warning = time.monotonic()
        log.warning("rate-limit store unreachable (%s): public routes are served unthrottled", exc)


def public_wait(limiter: MovingWindowRateLimiter, settings: Settings, address: str) -> int:
    """0 when the address may make this request, else the seconds until it may (blocking: thread pool)."""
    item = public_item(settings.api)
    try:
        if limiter.hit(item, address):
            return 0
        return seconds_until_free(limiter, item, address)
    except StorageError as exc:
        _warn_unthrottled(exc.storage_error)
        return 0


class TooManyRequests(ApiProblem):
    """429 for an address over the public rate limit (not ledger.core.errors.RateLimited: a node limiting us)."""

    def __init__(self, retry_after: int):
        super().__init__(
            "rate-limited",
            f"too many requests from this address; retry after {retry_after} s",
            field="client_ip",
            rule="rate_limit",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


async def public_wait_of(request: Request) -> int:
    return await run_in_threadpool(public_wait, limiter_of(request), settings_for(request), client_address(request))


async def public_rate_limit(request: Request) -> None:
    """Dependency of every public API route."""
    if wait := await public_wait_of(request):
        raise TooManyRequests(wait)


def refuse_memory_storage_in_production(settings: Settings) -> None:
    """The API's own start-up check (not Settings': the indexer, worker and CLI need no Redis)."""
    if settings.environment == "production" and settings.api.throttle_storage_url.startswith("memory://"):
        raise SystemExit(
            "error: LEDGER_API_THROTTLE_STORAGE_URL=memory:// counts logins and public requests in one process: "
            "set redis://… (shared by every API process) in production"
        )
