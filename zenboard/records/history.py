"""The run history: every run, suite and test outcome, in `.zenboard/history.db` (SQLite).

One file beside the project, no server. It feeds `zenboard history` (recent runs, slowest and
flakiest tests), `zenboard durations` (the durations file that plans shards) and flaky
detection. Several zenboard processes may write at once (two worktrees' watchers, a verify and
a launch): the database runs in WAL mode with a generous busy timeout, and each run is written
in one `BEGIN IMMEDIATE` transaction, so a reader never sees half a run and writers queue
instead of failing.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zenboard import safefs
from zenboard.errors import InputError
from zenboard.model.state import RunState, SuiteStatus
from zenboard.records import history_schema
from zenboard.wire import repeated_of

HISTORY_FILE = Path(".zenboard/history.db")
BUSY_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class TestRecord:
    __test__ = False  # not a pytest test class
    nodeid: str
    outcome: str
    duration: float
    worker: str
    attempts: int = 1
    """Runs of the test in this run: more than 1 when a failed attempt was retried."""


@dataclass(frozen=True)
class SuiteRecord:
    name: str
    status: str
    duration: float
    workers: int | None
    partial: bool
    """True when only some tests ran (a shard, a rerun): its durations are not the suite's."""
    tests: tuple[TestRecord, ...] = ()


@dataclass(frozen=True)
class RunRecord:
    started: float
    finished: float
    kind: str
    """What produced the run: run, launch, verify, compare, watch ..."""
    exit_code: int
    git_commit: str | None = None
    task: str | None = None
    shard: str | None = None
    suites: tuple[SuiteRecord, ...] = field(default=())


def task_id() -> str | None:
    return os.environ.get("ZENFLOW_TASK_ID") or None


def record_from_state(
    state: RunState,
    kind: str,
    exit_code: int,
    partial: set[str],
    started: float | None = None,
    commit: str | None = None,
    task: str | None = None,
    shard: str | None = None,
) -> RunRecord:
    """A run as the history stores it, from the model the views read.

    Args:
        state: The model at the end of the run.
        kind: What ran: `run`, `launch` (the dashboard), `verify`, `compare`.
        exit_code: zenboard's exit code for the run.
        partial: Suites that ran only some of their tests (a rerun).
        started: When the run started (None: its first suite's start).
        commit: The git commit tested.
        task: The task id.
        shard: The shard, `K/N`, of a sharded run.
    """
    now = time.time()
    suites = []
    for suite in state.suites.values():
        if suite.status is SuiteStatus.IDLE or not suite.runs:
            continue
        tests = tuple(  # a stress run's repetition is a run of its test, under the test's id
            TestRecord(repeated_of(t.nodeid), t.outcome, t.duration, t.worker, t.attempts)
            for t in suite.tests.values()
        )
        suites.append(
            SuiteRecord(
                suite.name,
                str(suite.status),
                suite.duration(now),
                suite.workers_planned,
                suite.name in partial,
                tests,
            )
        )
    first = min((s.started_at for s in state.suites.values() if s.started_at), default=now)
    return RunRecord(
        started if started is not None else first,
        now,
        kind,
        exit_code,
        commit,
        task,
        shard,
        tuple(suites),
    )


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


class HistoryUnusable(InputError):
    """The history file cannot be used; the message names it and says what to do.

    Commands that need the history exit 2 with it; a run goes on and only says
    `history not recorded: <message>`.
    """


_MOVE_ASIDE = "move it aside and zenboard starts a new history"
_SIDE_FILES = ("", "-wal", "-shm", "-journal")
"""The database and the files SQLite opens beside it, by name: none may be a planted link."""


def recorded(root: Path) -> bool:
    """Whether anything stands where the history goes. Only nothing at all is "no history
    yet": a directory or a FIFO there is refused by `History` as the one line it is."""
    return os.path.lexists(root / HISTORY_FILE)


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
    if history_schema.version(conn) >= 1 and not needed <= tables:
        missing = ", ".join(sorted(needed - tables))
        raise HistoryUnusable(f"{path}: damaged (tables missing: {missing}): {_MOVE_ASIDE}")


class History:
    """An open history database. Use as a context manager, or call `close()`.

    Every SQLite fault, at the open or in a query inside the `with` block, comes out as a
    `HistoryUnusable` line rather than a traceback.
    """

    def __init__(self, root: Path) -> None:
        self.path = root / HISTORY_FILE
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
            history_schema.migrate(self.conn)
        except (OSError, sqlite3.Error, HistoryUnusable) as exc:
            self.conn.close()
            raise unusable(self.path, exc) from None

    def __enter__(self) -> History:
        return self

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        self.close()
        if isinstance(exc, sqlite3.Error):
            raise unusable(self.path, exc) from None

    def close(self) -> None:
        self.conn.close()

    def record(self, run: RunRecord) -> int:
        """Store one run (all its suites and tests) atomically; returns its id."""
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            cur = c.execute(
                "INSERT INTO runs (started, finished, kind, git_commit, task, shard, exit_code)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    run.started,
                    run.finished,
                    run.kind,
                    run.git_commit,
                    run.task,
                    run.shard,
                    run.exit_code,
                ),
            )
            run_id = int(cur.lastrowid or 0)
            for suite in run.suites:
                cur = c.execute(
                    "INSERT INTO suite_runs (run_id, suite, status, duration, workers, partial)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        run_id,
                        suite.name,
                        suite.status,
                        suite.duration,
                        suite.workers,
                        int(suite.partial),
                    ),
                )
                suite_run_id = cur.lastrowid
                c.executemany(
                    "INSERT INTO test_results"
                    " (suite_run_id, nodeid, outcome, duration, worker, attempts)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (suite_run_id, t.nodeid, t.outcome, t.duration, t.worker, t.attempts)
                        for t in suite.tests
                    ],
                )
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return run_id

    def recent_runs(self, limit: int = 10) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT r.id, r.started, r.finished, r.kind, r.git_commit, r.task, r.shard,"
            " r.exit_code,"
            " COUNT(t.nodeid), SUM(t.outcome IN ('failed', 'error'))"
            " FROM runs r LEFT JOIN suite_runs s ON s.run_id = r.id"
            " LEFT JOIN test_results t ON t.suite_run_id = s.id"
            " GROUP BY r.id ORDER BY r.id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        keys = (
            "id",
            "started",
            "finished",
            "kind",
            "commit",
            "task",
            "shard",
            "exit_code",
            "tests",
            "failed",
        )
        runs = [dict(zip(keys, row, strict=True)) for row in rows]
        for run in runs:
            run["failed"] = int(run["failed"] or 0)
            run["duration"] = round(run["finished"] - run["started"], 3)
            run["suites"] = [
                s
                for (s,) in self.conn.execute(
                    "SELECT suite FROM suite_runs WHERE run_id = ? ORDER BY id", (run["id"],)
                )
            ]
        return runs

    def slowest_tests(self, limit: int = 10, last_runs: int = 20) -> list[dict[str, Any]]:
        """Tests by mean duration over the last runs that ran them."""
        rows = self.conn.execute(
            "SELECT s.suite, t.nodeid, AVG(t.duration), MAX(t.duration), COUNT(*)"
            " FROM test_results t JOIN suite_runs s ON s.id = t.suite_run_id"
            " WHERE s.run_id > (SELECT COALESCE(MAX(id), 0) - ? FROM runs)"
            " GROUP BY s.suite, t.nodeid ORDER BY AVG(t.duration) DESC LIMIT ?",
            (last_runs, limit),
        ).fetchall()
        return [
            {
                "suite": r[0],
                "nodeid": r[1],
                "mean": round(r[2], 4),
                "max": round(r[3], 4),
                "runs": r[4],
            }
            for r in rows
        ]

    def outcome_patterns(self, last_runs: int = 50) -> dict[tuple[str, str], str]:
        """(suite, nodeid) -> its outcomes oldest first, one letter a run (P, F, S, ...; R for
        a pass that needed a retry; a stress run's repetitions in the order they were recorded)."""
        rows = self.conn.execute(
            "SELECT s.suite, t.nodeid, t.outcome, t.attempts"
            " FROM test_results t JOIN suite_runs s ON s.id = t.suite_run_id"
            " WHERE s.run_id > (SELECT COALESCE(MAX(id), 0) - ? FROM runs)"
            " ORDER BY s.run_id, s.id, t.rowid",
            (last_runs,),
        ).fetchall()
        patterns: dict[tuple[str, str], str] = {}
        for suite, nodeid, outcome, attempts in rows:
            key = (suite, nodeid)
            patterns[key] = patterns.get(key, "") + outcome_letter(outcome, attempts)
        return patterns

    def recent_results(self, last_runs: int = 50) -> list[tuple[str, str, str, float, int]]:
        """(suite, nodeid, outcome, run's start, attempts) of every result of the last runs,
        oldest first (a stress run's repetitions in the order they were recorded)."""
        rows = self.conn.execute(
            "SELECT s.suite, t.nodeid, t.outcome, r.started, t.attempts"
            " FROM test_results t JOIN suite_runs s ON s.id = t.suite_run_id"
            " JOIN runs r ON r.id = s.run_id"
            " WHERE s.run_id > (SELECT COALESCE(MAX(id), 0) - ? FROM runs)"
            " ORDER BY s.run_id, s.id, t.rowid",
            (last_runs,),
        ).fetchall()
        return [(str(a), str(b), str(c), float(d), int(e or 1)) for a, b, c, d, e in rows]

    def latest_results(self, nodeid: str, limit: int) -> list[tuple[str, float]]:
        """(outcome, run's start) of the latest results of `nodeid`, newest first, in any
        suite; an id without parameters also takes every parametrization's (`test_io[big]`)."""
        # its parametrizations sort between `id[` and `id` + the character after '[': a range
        # the nodeid index serves (a prefix match would scan every result)
        low, high = (nodeid, nodeid) if "[" in nodeid else (nodeid + "[", nodeid + "\\")
        rows = self.conn.execute(
            "SELECT t.outcome, r.started"
            " FROM test_results t JOIN suite_runs s ON s.id = t.suite_run_id"
            " JOIN runs r ON r.id = s.run_id"
            " WHERE t.nodeid = ? OR (t.nodeid > ? AND t.nodeid < ?)"
            " ORDER BY s.run_id DESC, s.id DESC, t.rowid DESC LIMIT ?",
            (nodeid, low, high, limit),
        ).fetchall()
        return [(str(outcome), float(started)) for outcome, started in rows]

    def flakiest_tests(self, limit: int = 10, last_runs: int = 50) -> list[dict[str, Any]]:
        """Tests whose outcome flipped between passing and failing, most flips first; a pass
        that needed a retry (R) is a flip of its own."""
        flaky: list[dict[str, Any]] = []
        for (suite, nodeid), pattern in self.outcome_patterns(last_runs).items():
            verdicts = [c for c in pattern if c in "PFR"]
            passes = ["P" if c == RETRIED else c for c in verdicts]
            flips = verdicts.count(RETRIED) + sum(
                1 for a, b in itertools.pairwise(passes) if a != b
            )
            if flips:
                flaky.append(
                    {
                        "suite": suite,
                        "nodeid": nodeid,
                        "flips": flips,
                        "pattern": pattern,
                        "fail_rate": round(verdicts.count("F") / len(verdicts), 3),
                    }
                )
        flaky.sort(key=lambda f: (-int(f["flips"]), str(f["suite"]), str(f["nodeid"])))
        return flaky[:limit]

    def suite_trends(self, last_runs: int = 10) -> dict[str, list[float]]:
        """suite -> its wall durations over its last complete runs, oldest first (for a trend)."""
        rows = self.conn.execute(
            "SELECT suite, duration FROM suite_runs"
            " WHERE partial = 0 AND status IN ('passed', 'failed') ORDER BY id DESC"
        ).fetchall()
        trends: dict[str, list[float]] = {}
        for suite, duration in rows:
            kept = trends.setdefault(suite, [])
            if len(kept) < last_runs:
                kept.append(round(duration, 3))
        return {suite: kept[::-1] for suite, kept in trends.items()}

    def flaky_tests(self, last_runs: int = 50) -> set[tuple[str, str]]:
        """(suite, nodeid) of tests with a mixed history: both passed and failed lately, or
        passed only on a retry."""
        return set(self.flaky_patterns(last_runs))

    def flaky_patterns(self, last_runs: int = 50) -> dict[tuple[str, str], str]:
        """The flaky tests (as `flaky_tests`) with their patterns, in one read (the dashboard
        shows both)."""
        return {
            key: pattern
            for key, pattern in self.outcome_patterns(last_runs).items()
            if ("F" in pattern and "P" in pattern) or RETRIED in pattern
        }

    def last_full_durations(self) -> dict[str, dict[str, float]]:
        """suite -> nodeid -> duration, from each suite's latest complete, unsharded run."""
        result: dict[str, dict[str, float]] = {}
        latest = self.conn.execute(
            "SELECT suite, MAX(id) FROM suite_runs"
            " WHERE partial = 0 AND status IN ('passed', 'failed')"
            " GROUP BY suite"
        ).fetchall()
        for suite, suite_run_id in latest:
            rows = self.conn.execute(
                "SELECT nodeid, duration FROM test_results WHERE suite_run_id = ?", (suite_run_id,)
            ).fetchall()
            result[suite] = {nodeid: round(duration, 6) for nodeid, duration in rows}
        return result


RETRIED = "R"
"""The letter of a pass that needed a retry: a flake, even in a single run."""


def outcome_letter(outcome: str, attempts: int = 1) -> str:
    if outcome == "passed" and attempts > 1:
        return RETRIED
    return {
        "passed": "P",
        "failed": "F",
        "error": "F",
        "skipped": "S",
        "xfailed": "x",
        "xpassed": "X",
    }.get(outcome, "?")
