"""A PostgreSQL server of one's own (initdb in a temporary directory, a free 127.0.0.1 port), so a test or
the soak run (devtools/bench/soak.py) may stop and restart it under the services without touching the
shared server on 5432.

The server binaries (initdb, pg_ctl) must be on PATH: a missing one fails the test, never skips it.
PostgreSQL refuses to run as root; as root the cluster is made and run as the `postgres` user.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from devtools.dev_node import free_port

SUPERUSER = "postgres"


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise AssertionError(f"{name} is not on PATH: the PostgreSQL server binaries are needed (e.g. postgresql-15)")
    return path


class PostgresServer:
    """initdb once, then start / stop / restart with pg_ctl; `url` is the server's (database `postgres`)."""

    def __init__(self):
        self.port = free_port()
        # Not under pytest's tmp_path: as root that is private to root, and the server runs as `postgres`.
        self.directory = Path(tempfile.mkdtemp(prefix="ledger-pg-"))
        self.data = self.directory / "data"
        self.log_path = self.directory / "server.log"
        self.url = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"
        self._as_owner = ["runuser", "-u", SUPERUSER, "--"] if os.geteuid() == 0 else []
        if self._as_owner:
            shutil.chown(self.directory, SUPERUSER)
        self._make_cluster()

    def _make_cluster(self) -> None:
        self._run(_binary("initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync")

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self._as_owner, *command], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""
            raise AssertionError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}\n{log}")

    def start(self) -> "PostgresServer":
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-l", str(self.log_path), "-o", options, "-w", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """`fast`: clients are disconnected, a clean shutdown; `immediate`: the server dies as in a crash."""
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def close(self) -> None:
        if self.running():
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> "PostgresServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
