"""Rate limit of the public routes: a token bucket per client IP, in this process.

Each client may make `LEDGER_API_PUBLIC_BURST` requests at once, then one per
1 / `LEDGER_API_PUBLIC_RATE_PER_SECOND` seconds; beyond that it gets 429 with Retry-After.
The client IP is the connection's peer: behind a reverse proxy, run uvicorn with
`--proxy-headers --forwarded-allow-ips <proxy>` so that it is the proxy's X-Forwarded-For.
With N API processes a client may get up to N times the rate (each process keeps its own buckets).
"""

import math
import threading
import time
from collections import OrderedDict

from fastapi import Request

from web.kit.deps import settings_for
from web.kit.problems import ApiProblem


class TokenBuckets:
    def __init__(self, *, rate: float, burst: int, max_clients: int, clock=time.monotonic):
        self.rate, self.burst, self.max_clients, self.clock = rate, burst, max_clients, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, at)
        self._lock = threading.Lock()  # pages run in the thread pool, API routes on the event loop

    def take(self, client: str) -> float:
        """Take a token: 0.0 when allowed, else the seconds until the next token."""
        with self._lock:
            now = self.clock()
            tokens, at = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[client] = (tokens - 1 if tokens >= 1 else tokens, now)
            if len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return wait


class TooManyRequests(ApiProblem):
    """429 for an address over the public rate limit (not ledger.core.errors.RateLimited: a node limiting us)."""

    def __init__(self, wait: float):
        retry_after = max(1, math.ceil(wait))
        super().__init__(
            "rate-limited",
            f"too many requests from this address; retry after {retry_after} s",
            field="client_ip",
            rule="rate_limit",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after


def buckets_of(request: Request) -> TokenBuckets:
    buckets = getattr(request.app.state, "public_buckets", None)
    if buckets is None:
        settings = settings_for(request).api
        buckets = request.app.state.public_buckets = TokenBuckets(
            rate=settings.public_rate_per_second,
            burst=settings.public_burst,
            max_clients=settings.public_clients_tracked,
        )
    return buckets


async def public_rate_limit(request: Request) -> None:
    """Dependency of every public route (async: no thread-pool hop on the hot path)."""
    wait = buckets_of(request).take(request.client.host if request.client else "unknown")
    if wait:
        raise TooManyRequests(wait)
