"""The chain's clock, as the write path judges fact times by it.

The contracts bound every attested fact time (paidAt, refundedAt, signedAt, fulfilledAt, …) by
`block.timestamp + CLOCK_SKEW` of the block that records it, and a local or permissioned chain
runs ahead of or behind the wall clock. The block that will record a command is mined after we
accept it, and block times never go back, so `latest block time + time elapsed since we read it`
is at most the time the chain will judge by: a fact time within CLOCK_SKEW of it is never refused
for being in the future, whatever the node's skew, the queue or a pause. (On a chain that has been
idle the estimate lags the node's clock, so the rule is stricter than the chain by that much; it
never lets through what the chain refuses.)

Each process reads the latest block at most once every REFRESH_SECONDS. A node that cannot be
read leaves the last reading in use (still a lower bound); before any reading, the wall clock
stands in for the chain's.
"""

import threading
import time
from functools import cache

from ledger.chain.rpc import JsonRpc
from ledger.core.settings import get_settings

CLOCK_SKEW_SECONDS = 900  # FeeLedger.CLOCK_SKEW, CommitmentRegistry.CLOCK_SKEW (15 minutes)
REFRESH_SECONDS = 1.0
RETRY_SECONDS = 5.0  # after a failed reading, wait this long before asking the node again
READ_TIMEOUT_SECONDS = 2.0


class ChainClock:
    def __init__(self, rpc_url: str):
        self._rpc = JsonRpc(rpc_url, timeout=READ_TIMEOUT_SECONDS)
        self._lock = threading.Lock()
        self._block_time: int | None = None  # the latest block's timestamp at our last reading
        self._read_at = 0.0  # time.monotonic() of that reading
        self._next_read = 0.0

    def now(self) -> int:
        """The chain's time: a lower bound of the timestamp of any block mined from now on."""
        with self._lock:
            if time.monotonic() >= self._next_read:
                self._read()
            if self._block_time is None:
                return int(time.time())
            return self._block_time + int(time.monotonic() - self._read_at)

    def latest_allowed(self) -> int:
        """The latest fact time the chain is sure to accept now."""
        return self.now() + CLOCK_SKEW_SECONDS

    def _read(self) -> None:
        before = time.monotonic()
        try:
            block = self._rpc.existing_block("latest")
        except Exception:  # noqa: BLE001 — any failure to read leaves the last reading in use
            self._next_read = time.monotonic() + RETRY_SECONDS
            return
        self._block_time, self._read_at = int(block["timestamp"], 16), before
        self._next_read = before + REFRESH_SECONDS


@cache
def _clock_for(rpc_url: str) -> ChainClock:
    return ChainClock(rpc_url)


def chain_clock() -> ChainClock:
    """The clock of the chain this process writes to (LEDGER_RPC_URL)."""
    return _clock_for(get_settings().rpc.url)


def head_block() -> int:
    """The number of the latest block of the chain this process writes to (asked now, not cached):
    what a draw's reveal block is counted from, and judged against."""
    return JsonRpc(get_settings().rpc.url, timeout=READ_TIMEOUT_SECONDS).block_number()
