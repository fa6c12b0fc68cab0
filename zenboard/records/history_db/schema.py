"""The SQLite history's schema, as a list of numbered migrations (PostgreSQL's: `postgres.py`).

A database records the highest migration applied in `schema_version`. Opening a database
applies the missing migrations in one `BEGIN IMMEDIATE` transaction, so two zenboard processes
opening a new database at the same moment cannot both migrate it: the second waits, then sees
the version the first wrote and has nothing left to do. Migrations are only ever appended;
an applied one is never edited.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started REAL NOT NULL,
            finished REAL NOT NULL,
            kind TEXT NOT NULL,
            git_commit TEXT,
            task TEXT,
            shard TEXT,
            exit_code INTEGER NOT NULL
        );
        CREATE TABLE suite_runs (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            suite TEXT NOT NULL,
            status TEXT NOT NULL,
            duration REAL NOT NULL,
            workers INTEGER,
            partial INTEGER NOT NULL
        );
        CREATE TABLE test_results (
            suite_run_id INTEGER NOT NULL REFERENCES suite_runs(id) ON DELETE CASCADE,
            nodeid TEXT NOT NULL,
            outcome TEXT NOT NULL,
            duration REAL NOT NULL,
            worker TEXT NOT NULL
        );
        CREATE INDEX suite_runs_by_run ON suite_runs(run_id);
        CREATE INDEX test_results_by_suite_run ON test_results(suite_run_id);
    """,
    ),
    (
        2,
        """
        CREATE INDEX suite_runs_by_suite ON suite_runs(suite, id);
        CREATE INDEX test_results_by_nodeid ON test_results(nodeid);
    """,
    ),
    (
        3,
        """
        ALTER TABLE test_results ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
    """,
    ),
    (
        4,
        """
        ALTER TABLE runs ADD COLUMN machine TEXT;
        ALTER TABLE runs ADD COLUMN branch TEXT;
    """,
    ),
    (
        5,
        """
        ALTER TABLE runs ADD COLUMN project TEXT;
        CREATE INDEX runs_by_project ON runs(project, id);
    """,
    ),
)
LATEST = MIGRATIONS[-1][0]


def version(conn: sqlite3.Connection) -> int:
    """The schema version of an open database (0 for a new, empty one)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the migrations this database lacks; returns the version it is at afterwards.

    A database written by a newer zenboard (a version above ours) is left alone: its extra
    tables and columns are additions our queries do not read.
    """
    if version(conn) >= LATEST:
        return version(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        for number, statements in pending(MIGRATIONS, version(conn)):
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return version(conn)


def pending(
    migrations: tuple[tuple[int, str], ...], current: int
) -> Iterator[tuple[int, list[str]]]:
    """The migrations above `current`, each as its number and its statements (either database's:
    a script is statements separated by `;`)."""
    for number, script in migrations:
        if number > current:
            yield number, [s for s in script.split(";") if s.strip()]
