"""One lease per holder and chain, on the database's clock: exactly one indexer writes a chain's
read model, exactly one writer signs with a chain's nonces; the others wait as standbys.

Every time is the database's (hosts' clocks may disagree; the lease must not). A lease is taken
when it is free or expired, renewed by its owner, and fenced: every write transaction of the
holder renews it first and aborts with LeaseLost if it passed to another process meanwhile.
"""

import logging
import threading
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from ledger.core.errors import LeaseLost
from ledger.db.clock import now_sql

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lease:
    holder: str  # what holds it: "indexer" or "writer"
    chain_id: int
    owner: str  # this process
    seconds: float  # how long it lasts unrenewed

    @property
    def name(self) -> str:
        return f"{self.holder}:{self.chain_id}"

    def acquire(self, conn: Connection) -> bool:
        """Take or renew the lease; False while another live owner holds it."""
        conn.execute(
            text("INSERT INTO leases (name, owner, expires_at) VALUES (:n, :o, 0) ON CONFLICT DO NOTHING"),
            {"n": self.name, "o": self.owner},
        )
        clock = now_sql(conn)
        taken = conn.execute(
            text(
                f"UPDATE leases SET owner = :o, expires_at = {clock} + :s "
                f"WHERE name = :n AND (owner = :o OR expires_at < {clock})"
            ),
            {"n": self.name, "o": self.owner, "s": self.seconds},
        )
        return taken.rowcount == 1

    def renew(self, conn: Connection) -> bool:
        """Extend the lease this owner holds; False if it passed to another owner."""
        renewed = conn.execute(
            text(f"UPDATE leases SET expires_at = {now_sql(conn)} + :s WHERE name = :n AND owner = :o"),
            {"n": self.name, "o": self.owner, "s": self.seconds},
        )
        return renewed.rowcount == 1

    def release(self, conn: Connection) -> None:
        """Let a standby take over at once."""
        conn.execute(
            text("UPDATE leases SET expires_at = 0 WHERE name = :n AND owner = :o"), {"n": self.name, "o": self.owner}
        )

    def fence(self, conn: Connection) -> None:
        """Inside a write transaction: renew the lease or abort the transaction."""
        if not self.renew(conn):
            raise LeaseLost(f"chain {self.chain_id}: the lease passed to another {self.holder}")


class LeaseKeeper:
    """Renews a lease in a thread while long work runs (a slow node answering a fetch), so a
    standby never takes over mid-work. The writes fence the lease themselves; this only keeps it alive."""

    def __init__(self, engine: Engine, lease: Lease):
        self._engine, self._lease = engine, lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ledger-lease", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(max(self._lease.seconds / 3, 0.05)):
            try:
                with self._engine.begin() as conn:
                    if not self._lease.renew(conn):
                        return  # lost: the next write's fence stops the work
            except DBAPIError as exc:  # the work itself meets the same database and reports it
                log.debug("lease renewal failed: %s", exc)

    def __enter__(self) -> "LeaseKeeper":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
