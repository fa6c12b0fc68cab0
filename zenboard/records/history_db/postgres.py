"""A team's history in PostgreSQL: every CI shard, worktree and dashboard writes to one database.

psycopg is imported only here, and only when a URL is set, so the base install never needs it
(`zenboard[postgres]` brings it). Migrations run under a transaction-level advisory lock, so
shards starting at once against a fresh database queue instead of creating the same table twice.
Every message that could quote the URL, or the server's words about it, has its password hidden.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from zenboard.records.history_db import schema
from zenboard.records.history_db.errors import HistoryUnusable
from zenboard.records.history_db.protocol import Row
from zenboard.textsafe import redact, url_secrets, visible

if TYPE_CHECKING:
    import psycopg

CONNECT_TIMEOUT = 5
"""Seconds to wait for the server (unless the URL sets `connect_timeout`): an unreachable one
costs a run this much, then one line."""
MIGRATION_LOCK = 0x7A656E62  # "zenb"
"""The advisory lock key that serialises migrations across every zenboard using the database."""

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE runs (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            started DOUBLE PRECISION NOT NULL,
            finished DOUBLE PRECISION NOT NULL,
            kind TEXT NOT NULL,
            git_commit TEXT,
            task TEXT,
            shard TEXT,
            exit_code INTEGER NOT NULL,
            machine TEXT,
            branch TEXT
        );
        CREATE TABLE suite_runs (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            suite TEXT COLLATE "C" NOT NULL,
            status TEXT NOT NULL,
            duration DOUBLE PRECISION NOT NULL,
            workers INTEGER,
            partial INTEGER NOT NULL
        );
        CREATE TABLE test_results (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            suite_run_id BIGINT NOT NULL REFERENCES suite_runs(id) ON DELETE CASCADE,
            nodeid TEXT COLLATE "C" NOT NULL,
            outcome TEXT NOT NULL,
            duration DOUBLE PRECISION NOT NULL,
            worker TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX suite_runs_by_run ON suite_runs(run_id);
        CREATE INDEX suite_runs_by_suite ON suite_runs(suite, id);
        CREATE INDEX test_results_by_suite_run ON test_results(suite_run_id);
        CREATE INDEX test_results_by_nodeid ON test_results(nodeid);
    """,
    ),
    (
        2,
        """
        ALTER TABLE runs ADD COLUMN project TEXT COLLATE "C";
        CREATE INDEX runs_by_project ON runs(project, id);
    """,
    ),
)
"""PostgreSQL's schema: SQLite's (`schema.py`) in its types (`C` collation, so ids sort
by their bytes as SQLite sorts them), with identity ids for concurrent writers. Only appended."""
LATEST = MIGRATIONS[-1][0]


def shown(url: str) -> str:
    """The URL as every message shows it: password hidden, control characters visible."""
    return visible(redact(url, *url_secrets(url)))


class PostgresStore:
    """A connection to the shared history, migrated to the latest schema on open."""

    result_order = "t.id"

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = shown(url)
        self._secrets = (*url_secrets(url), os.environ.get("PGPASSWORD") or "")
        try:
            import psycopg
        except ImportError:
            raise HistoryUnusable(
                f"{self.where}: a PostgreSQL history needs psycopg: install zenboard[postgres]"
            ) from None
        self.errors: tuple[type[BaseException], ...] = (psycopg.Error,)
        options: dict[str, Any] = {"autocommit": True, "application_name": "zenboard"}
        if "connect_timeout" not in url:
            options["connect_timeout"] = CONNECT_TIMEOUT
        try:
            self.conn: psycopg.Connection[Row] = psycopg.connect(url, **options)
        except psycopg.Error as exc:
            raise self.unusable(exc) from None
        try:
            migrate(self.conn)
        except psycopg.Error as exc:
            self.conn.close()
            raise self.unusable(exc) from None

    def query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        cur = self.conn.execute(_dialect(sql), params)
        return cur.fetchall() if cur.description is not None else []

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
    ) -> None:
        """With COPY: a run's results in one stream, not a round trip each."""
        with (
            self.conn.cursor() as cur,
            cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            yield

    def unusable(self, exc: BaseException) -> HistoryUnusable:
        if isinstance(exc, HistoryUnusable):
            return exc
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        text = redact("; ".join(lines) or type(exc).__name__, *self._secrets)
        return HistoryUnusable(f"{self.where}: {visible(text)}")

    def close(self) -> None:
        self.conn.close()


def _dialect(sql: str) -> str:
    """The shared SQL's `?` placeholders as psycopg's `%s` (the shared SQL holds no `%`)."""
    return sql.replace("?", "%s")


def version(conn: psycopg.Connection[Row]) -> int:
    """The schema version of the database (0 for an empty one)."""
    row = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return 0
    found = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(found[0] or 0) if found else 0


def migrate(conn: psycopg.Connection[Row]) -> int:
    """Apply the migrations the database lacks, one process at a time; returns its version.

    A database a newer zenboard migrated (a version above ours) is left alone, as with SQLite.
    """
    if version(conn) >= LATEST:
        return LATEST
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        for number, statements in schema.pending(MIGRATIONS, version(conn)):
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (number,))
    return version(conn)
