"""A PostgreSQL primary with a streaming replica (hot standby), both of the test's own: the replica
is a `pg_basebackup -R` of the primary (standby.signal and primary_conninfo written by it), started
on a port of its own and streaming before the pair is handed out. initdb's pg_hba.conf already trusts
replication connections from 127.0.0.1, and wal_level=replica is PostgreSQL's default.

`caught_up()` waits until the replica has replayed everything the primary has written so far;
`paused()` holds its replay (pg_wal_replay_pause) so the primary can run ahead of it.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from devtools.postgres_server import SUPERUSER, PostgresServer, _binary

WAIT_SECONDS = 30


class StreamingReplica(PostgresServer):
    def __init__(self, primary: PostgresServer):
        self.primary = primary
        super().__init__()

    def _make_cluster(self) -> None:
        self._run(
            _binary("pg_basebackup"),
            *("-D", str(self.data), "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", SUPERUSER),
            *("-R", "-X", "stream", "-c", "fast", "--no-sync"),
        )


def _query(url: str, sql: str):
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchone()[0] if cursor.description else None


def _wait(what: str, done) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WAIT_SECONDS} s: {what}")
        time.sleep(0.02)


class PrimaryAndReplica:
    def __init__(self):
        self.primary = PostgresServer()
        # Throwaway clusters that never see a crash: not waiting for the disk makes the base backup's
        # checkpoint and the standby's start a second or two faster (the replica copies this file).
        with open(self.primary.data / "postgresql.conf", "a") as conf:
            conf.write("\nfsync = off\n")
        self.primary.start()
        try:
            self.replica = StreamingReplica(self.primary).start()
            _wait("the replica streams", self.streaming)
        except BaseException:
            self.primary.close()
            raise

    def url(self, server: PostgresServer, database: str) -> str:
        return server.url.rsplit("/", 1)[0] + "/" + database

    def create_database(self, name: str) -> tuple[str, str]:
        """A database made on the primary: (its URL on the primary, on the replica), once replayed."""
        _query(self.primary.url, f'CREATE DATABASE "{name}"')
        self.caught_up()
        return self.url(self.primary, name), self.url(self.replica, name)

    def streaming(self) -> bool:
        return _query(self.primary.url, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == 1

    def caught_up(self) -> None:
        """Wait until the replica has replayed all the primary has written up to now."""
        written = _query(self.primary.url, "SELECT pg_current_wal_lsn()::text")
        _wait(
            f"the replica replays up to {written}",
            lambda: _query(self.replica.url, f"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn"),
        )

    @contextmanager
    def paused(self) -> Iterator[None]:
        """The replica's replay held: what the primary commits meanwhile is received, not shown."""
        _query(self.replica.url, "SELECT pg_wal_replay_pause()")
        _wait("replay pauses", lambda: _query(self.replica.url, "SELECT pg_get_wal_replay_pause_state()") == "paused")
        try:
            yield
        finally:
            _query(self.replica.url, "SELECT pg_wal_replay_resume()")

    def close(self) -> None:
        self.replica.close()
        self.primary.close()
