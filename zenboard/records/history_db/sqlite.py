"""The embedded history: `.zenboard/history.db`, one SQLite file beside the project, no server.

Several zenboard processes may write at once (two worktrees' watchers, a verify and a launch):
the database runs in WAL mode with a generous busy timeout, and each run is written in one
`BEGIN IMMEDIATE` transaction, so a reader never sees half a run and writers queue instead of
failing.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from zenboard import safefs
from zenboard.records.history_db import schema
from zenboard.records.history_db.errors import HistoryUnusable
from zenboard.records.history_db.protocol import Row

HISTORY_FILE = Path(".zenboard/history.db")
BUSY_TIMEOUT_MS = 30_000
_MOVE_ASIDE = "move it aside and zenboard starts a new history"
_SIDE_FILES = ("", "-wal", "-shm", "-journal")
"""The database and the files SQLite opens beside it, by name: none may be a planted link."""


def recorded(root: Path) -> bool:
    """Whether anything stands where the history goes. Only nothing at all is "no history
    yet": a directory or a FIFO there is refused by `SqliteStore` as the one line it is."""
    return os.path.lexists(root / HISTORY_FILE)


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch a database to WAL, waiting out another process doing the same.

    Changing the journal mode needs an exclusive lock, and SQLite reports "database is locked"
    at once, without its busy handler, when another connection holds a lock meanwhile (two
    zenboard processes opening a new history at the same moment): retry until the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _check_file(path: Path) -> None:
    """Refuse what is at `path` when it is not a regular file (SQLite's words would be vague)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else None
        raise HistoryUnusable(f"{path}: not a file ({kind or 'a special file'}): {_MOVE_ASIDE}")


def unusable(path: Path, exc: BaseException) -> HistoryUnusable:
    """The one line for a history that failed with `exc` (SQLite's words made plain)."""
    if isinstance(exc, HistoryUnusable):
        return exc
    if isinstance(exc, OSError):
        return HistoryUnusable(f"{path}: cannot use it ({safefs.describe(exc)})")
    text = str(exc)
    if "not a database" in text:
        why = f"not an SQLite database (damaged, or not zenboard's): {_MOVE_ASIDE}"
    elif "malformed" in text or "corrupt" in text:
        why = f"damaged ({text}): {_MOVE_ASIDE}"
    elif "locked" in text or "busy" in text:
        why = f"busy ({text}): another zenboard holds it; try again"
    else:
        why = f"cannot use it ({text}): {_MOVE_ASIDE}"
    return HistoryUnusable(f"{path}: {why}")


def _check_ours(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse an SQLite file of some other program before zenboard adds a table to it."""
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    if not tables:
        return  # new (or empty): ours from now on
    needed = {"schema_version", "runs", "suite_runs", "test_results"}
    if "schema_version" not in tables:
        raise HistoryUnusable(
            f"{path}: an SQLite database that is not zenboard's history: {_MOVE_ASIDE}"
        )
    if schema.version(conn) >= 1 and not needed <= tables:
        missing = ", ".join(sorted(needed - tables))
        raise HistoryUnusable(f"{path}: damaged (tables missing: {missing}): {_MOVE_ASIDE}")


class SqliteStore:
    """The project's history file, opened and migrated; never through a link below the project."""

    result_order = "t.rowid"
    errors: tuple[type[BaseException], ...] = (sqlite3.Error, OSError)

    def __init__(self, root: Path) -> None:
        self.path = root / HISTORY_FILE
        self.where = str(self.path)
        try:
            with safefs.open_dir(self.path.parent, root):
                pass  # made, never through a link below the project
            for suffix in _SIDE_FILES:
                safefs.check_no_links(self.path.with_name(self.path.name + suffix), root)
            _check_file(self.path)
            self.conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
            )
        except (OSError, sqlite3.Error, HistoryUnusable) as exc:
            raise unusable(self.path, exc) from None
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _check_ours(self.conn, self.path)
            _enable_wal(self.conn)
            self.conn.execute("PRAGMA foreign_keys = ON")
            schema.migrate(self.conn)
        except (OSError, sqlite3.Error, HistoryUnusable) as exc:
            self.conn.close()
            raise unusable(self.path, exc) from None

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return self.conn.execute(sql, params).fetchall()

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> None:
        marks = ", ".join("?" * len(columns))
        self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def unusable(self, exc: BaseException) -> HistoryUnusable:
        return unusable(self.path, exc)

    def close(self) -> None:
        self.conn.close()
