"""A throwaway PostgreSQL cluster from Debian's packages, for the shared-history tests and bench.

`initdb` and `postgres` refuse to run as root, so the cluster lives in a temp dir owned by the
`postgres` user and every server command runs through `runuser`. It listens on loopback on a
free port, with a random password (one that appears in no other string, so a test can prove it
is never shown), and `stop()` leaves no server and no files behind.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SERVER_USER = "postgres"
START_TIMEOUT = 60


def server_bin() -> Path | None:
    """The newest `/usr/lib/postgresql/<version>/bin` holding initdb and pg_ctl, if any."""
    found = [
        Path(d)
        for d in glob.glob("/usr/lib/postgresql/*/bin")
        if (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists()
    ]
    return max(
        found, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0, default=None
    )


def unavailable() -> str | None:
    """Why no cluster can be started here (None: it can)."""
    if server_bin() is None:
        return "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin"
    if shutil.which("runuser") is None or os.geteuid() != 0:
        return "needs root and runuser (initdb refuses root, so it runs as the postgres user)"
    try:
        import pwd

        pwd.getpwnam(SERVER_USER)
    except KeyError:
        return f"no {SERVER_USER!r} user (Debian's postgresql package makes it)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]')"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """One server: `start()`, then `url(db)` and `create_database(name)`, then `stop()`."""

    def __init__(self) -> None:
        self.password = "pw" + secrets.token_hex(12)
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="zenboard-pg-"))
        self.data = self.dir / "data"
        self.bin = server_bin() or Path("/nonexistent")

    def _as_server(self, *args: str, timeout: float = START_TIMEOUT) -> None:
        subprocess.run(
            ["runuser", "-u", SERVER_USER, "--", *args],
            check=True,
            capture_output=True,
            timeout=timeout,
        )

    def start(self) -> Cluster:
        shutil.chown(self.dir, SERVER_USER, SERVER_USER)
        pwfile = self.dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        shutil.chown(pwfile, SERVER_USER, SERVER_USER)
        self._as_server(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            SERVER_USER,
            "-A",
            "scram-sha-256",
            f"--pwfile={pwfile}",
            "--no-sync",
        )
        pwfile.unlink()
        options = f"-k {self.dir} -h 127.0.0.1 -p {self.port} -c fsync=off -c full_page_writes=off"
        self._as_server(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            str(START_TIMEOUT),
            "start",
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def url(self, database: str) -> str:
        return f"postgresql://{SERVER_USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new, empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._as_server(
                    str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"
                )
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
