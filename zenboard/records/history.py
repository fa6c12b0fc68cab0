"""The run history: every run, suite and test outcome, with the machine, branch and commit.

It feeds `zenboard history` (recent runs, slowest and flakiest tests), `zenboard durations` (the
durations file that plans shards), flaky badges and quarantine suggestions. It lives in
`.zenboard/history.db` (SQLite, `history_db/sqlite.py`) unless a PostgreSQL URL is set
(`history_db/postgres.py`): then every machine of a team writes to one database and no file is made.
The queries here are the same for both (`history_db/protocol.py`).
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zenboard.model.state import RunState, SuiteStatus
from zenboard.project.history_key import history_key
from zenboard.records.history_db.errors import HistoryUnusable
from zenboard.records.history_db.protocol import HistoryStore, Row
from zenboard.records.history_db.sqlite import HISTORY_FILE, SqliteStore, unusable
from zenboard.records.history_db.sqlite import recorded as file_recorded
from zenboard.wire import repeated_of

__all__ = ["HISTORY_FILE", "History", "HistoryUnusable", "RunRecord", "recorded", "unusable"]


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
    machine: str | None = None
    """The host name of the machine that ran it."""
    branch: str | None = None
    project: str | None = None
    """The project's key (`project.history_key`): a shared database holds several projects."""


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
    machine: str | None = None,
    branch: str | None = None,
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
        machine: The host that ran it.
        branch: The git branch tested.
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
        machine,
        branch,
    )


def recorded(root: Path, url: str | None = None) -> bool:
    """Whether there is a history to read: always with a shared one (a server answers), else
    when anything stands where the file goes (a directory there is refused as the one line it
    is, not taken for "no history yet")."""
    return url is not None or file_recorded(root)


@dataclass(frozen=True)
class RunFilter:
    """Which runs a read looks at: those of one machine, branch or commit (a prefix)."""

    machine: str | None = None
    branch: str | None = None
    commit: str | None = None

    def where(self) -> tuple[str, list[object]]:
        """` AND ...` conditions on `runs` (no alias) and their parameters."""
        sql, params = "", list[object]()
        if self.machine is not None:
            sql, params = sql + " AND machine = ?", [*params, self.machine]
        if self.branch is not None:
            sql, params = sql + " AND branch = ?", [*params, self.branch]
        if self.commit is not None:
            sql += " AND substr(git_commit, 1, ?) = ?"
            params = [*params, len(self.commit), self.commit]
        return sql, params


EVERY_RUN = RunFilter()


def open_store(root: Path, url: str | None) -> HistoryStore:
    """The history's database: PostgreSQL at `url`, else the project's SQLite file."""
    if url is None:
        return SqliteStore(root)
    from zenboard.records.history_db.postgres import PostgresStore

    return PostgresStore(url)


class History:
    """An open history database. Use as a context manager, or call `close()`.

    Every fault of the database, at the open or in a query inside the `with` block, comes out
    as a `HistoryUnusable` line rather than a traceback. Reads see the project's own runs (and
    runs recorded before runs had a project, which belong to every project) unless
    `every_project`; writes record the project's key.
    """

    def __init__(
        self,
        root: Path,
        url: str | None = None,
        project: str | None = None,
        every_project: bool = False,
    ) -> None:
        """Open the history of the project at `root`.

        Args:
            root: The project's root.
            url: The shared history's PostgreSQL URL (None: the project's SQLite file).
            project: The configured `project` name (None: from git or the folder).
            every_project: Read the runs of every project the database holds.
        """
        self.project = history_key(root, project)
        self.every_project = every_project
        self.store = open_store(root, url)
        self.where = self.store.where

    def _mine(self, alias: str = "") -> tuple[str, list[object]]:
        """` AND ...` keeping the project's runs (`alias`: `r.` when `runs` has one)."""
        if self.every_project:
            return "", []
        return f" AND ({alias}project = ? OR {alias}project IS NULL)", [self.project]

    def _last_runs(self, last_runs: int, runs: RunFilter) -> tuple[str, list[object]]:
        """`s.run_id IN (the project's last runs)` and its parameters: ids, not `MAX(id) - n`,
        because a PostgreSQL sequence leaves gaps (a rolled-back run still took its id)."""
        where, params = runs.where()
        mine, own = self._mine()
        sql = f"s.run_id IN (SELECT id FROM runs WHERE 1 = 1{where}{mine} ORDER BY id DESC LIMIT ?)"
        return sql, [*params, *own, last_runs]

    @property
    def conn(self) -> Any:
        """The driver's connection, for checks the queries here do not make (tests)."""
        return getattr(self.store, "conn", None)

    def __enter__(self) -> History:
        return self

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        self.close()
        if exc is not None and isinstance(exc, self.store.errors):
            raise self.store.unusable(exc) from None

    def close(self) -> None:
        self.store.close()

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        return self.store.query(sql, params)

    def run_count(self) -> int:
        mine, own = self._mine()
        return int(self._query(f"SELECT COUNT(*) FROM runs WHERE 1 = 1{mine}", own)[0][0])

    def record(self, run: RunRecord) -> int:
        """Store one run (all its suites and tests) atomically; returns its id."""
        with self.store.transaction():
            (run_id,) = self._query(
                "INSERT INTO runs (started, finished, kind, git_commit, task, shard, exit_code,"
                " machine, branch, project) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    run.started,
                    run.finished,
                    run.kind,
                    run.git_commit,
                    run.task,
                    run.shard,
                    run.exit_code,
                    run.machine,
                    run.branch,
                    run.project or self.project,
                ),
            )[0]
            for suite in run.suites:
                (suite_run_id,) = self._query(
                    "INSERT INTO suite_runs (run_id, suite, status, duration, workers, partial)"
                    " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    (
                        run_id,
                        suite.name,
                        suite.status,
                        suite.duration,
                        suite.workers,
                        int(suite.partial),
                    ),
                )[0]
                self.store.insert_rows(
                    "test_results",
                    ("suite_run_id", "nodeid", "outcome", "duration", "worker", "attempts"),
                    [
                        (suite_run_id, t.nodeid, t.outcome, t.duration, t.worker, t.attempts)
                        for t in suite.tests
                    ],
                )
        return int(run_id)

    def recent_runs(self, limit: int = 10, runs: RunFilter = EVERY_RUN) -> list[dict[str, Any]]:
        where, params = runs.where()
        mine, own = self._mine()
        rows = self._query(
            "SELECT r.id, r.started, r.finished, r.kind, r.git_commit, r.task, r.shard,"
            " r.exit_code, r.machine, r.branch, r.project,"
            " COUNT(t.nodeid), SUM(CASE WHEN t.outcome IN ('failed', 'error') THEN 1 ELSE 0 END)"
            " FROM runs r LEFT JOIN suite_runs s ON s.run_id = r.id"
            " LEFT JOIN test_results t ON t.suite_run_id = s.id"
            f" WHERE r.id IN (SELECT id FROM runs WHERE 1 = 1{where}{mine}"
            " ORDER BY id DESC LIMIT ?)"
            " GROUP BY r.id ORDER BY r.id DESC",
            (*params, *own, limit),
        )
        keys = (
            "id",
            "started",
            "finished",
            "kind",
            "commit",
            "task",
            "shard",
            "exit_code",
            "machine",
            "branch",
            "project",
            "tests",
            "failed",
        )
        found = [dict(zip(keys, row, strict=True)) for row in rows]
        for run in found:
            run["failed"] = int(run["failed"] or 0)
            run["duration"] = round(run["finished"] - run["started"], 3)
            run["suites"] = [
                s
                for (s,) in self._query(
                    "SELECT suite FROM suite_runs WHERE run_id = ? ORDER BY id", (run["id"],)
                )
            ]
        return found

    def slowest_tests(
        self, limit: int = 10, last_runs: int = 20, runs: RunFilter = EVERY_RUN
    ) -> list[dict[str, Any]]:
        """Tests by mean duration over the last runs that ran them."""
        among, params = self._last_runs(last_runs, runs)
        rows = self._query(
            "SELECT s.suite, t.nodeid, AVG(t.duration), MAX(t.duration), COUNT(*)"
            " FROM test_results t JOIN suite_runs s ON s.id = t.suite_run_id"
            f" WHERE {among}"
            " GROUP BY s.suite, t.nodeid ORDER BY AVG(t.duration) DESC, s.suite, t.nodeid"
            " LIMIT ?",
            (*params, limit),
        )
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

    def outcome_patterns(
        self, last_runs: int = 50, runs: RunFilter = EVERY_RUN
    ) -> dict[tuple[str, str], str]:
        """(suite, nodeid) -> its outcomes oldest first, one letter a run (P, F, S, ...; R for
        a pass that needed a retry; a stress run's repetitions in the order they were recorded)."""
        among, params = self._last_runs(last_runs, runs)
        rows = self._query(
            "SELECT s.suite, t.nodeid, t.outcome, t.attempts"
            " FROM test_results t JOIN suite_runs s ON s.id = t.suite_run_id"
            f" WHERE {among} ORDER BY s.run_id, s.id, {self.store.result_order}",
            params,
        )
        patterns: dict[tuple[str, str], str] = {}
        for suite, nodeid, outcome, attempts in rows:
            key = (suite, nodeid)
            patterns[key] = patterns.get(key, "") + outcome_letter(outcome, attempts)
        return patterns

    def recent_results(self, last_runs: int = 50) -> list[tuple[str, str, str, float, int]]:
        """(suite, nodeid, outcome, run's start, attempts) of every result of the last runs,
        oldest first (a stress run's repetitions in the order they were recorded)."""
        among, params = self._last_runs(last_runs, EVERY_RUN)
        rows = self._query(
            "SELECT s.suite, t.nodeid, t.outcome, r.started, t.attempts"
            " FROM test_results t JOIN suite_runs s ON s.id = t.suite_run_id"
            " JOIN runs r ON r.id = s.run_id"
            f" WHERE {among} ORDER BY s.run_id, s.id, {self.store.result_order}",
            params,
        )
        return [(str(a), str(b), str(c), float(d), int(e or 1)) for a, b, c, d, e in rows]

    def latest_results(self, nodeid: str, limit: int) -> list[tuple[str, float]]:
        """(outcome, run's start) of the latest results of `nodeid`, newest first, in any
        suite; an id without parameters also takes every parametrization's (`test_io[big]`)."""
        # its parametrizations sort between `id[` and `id` + the character after '[': a range
        # the nodeid index serves (a prefix match would scan every result)
        low, high = (nodeid, nodeid) if "[" in nodeid else (nodeid + "[", nodeid + "\\")
        mine, own = self._mine("r.")
        rows = self._query(
            "SELECT t.outcome, r.started"
            " FROM test_results t JOIN suite_runs s ON s.id = t.suite_run_id"
            " JOIN runs r ON r.id = s.run_id"
            f" WHERE (t.nodeid = ? OR (t.nodeid > ? AND t.nodeid < ?)){mine}"
            f" ORDER BY s.run_id DESC, s.id DESC, {self.store.result_order} DESC LIMIT ?",
            (nodeid, low, high, *own, limit),
        )
        return [(str(outcome), float(started)) for outcome, started in rows]

    def flakiest_tests(
        self, limit: int = 10, last_runs: int = 50, runs: RunFilter = EVERY_RUN
    ) -> list[dict[str, Any]]:
        """Tests whose outcome flipped between passing and failing, most flips first; a pass
        that needed a retry (R) is a flip of its own."""
        flaky: list[dict[str, Any]] = []
        for (suite, nodeid), pattern in self.outcome_patterns(last_runs, runs).items():
            verdicts = [c for c in pattern if c in "PFR"]
            if flips := flips_of(pattern):
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

    def result_machines(
        self, last_runs: int = 50, runs: RunFilter = EVERY_RUN
    ) -> dict[tuple[str, str], tuple[str, ...]]:
        """(suite, nodeid) -> the machines whose runs among the last ones ran it, by name (runs
        recorded without a machine name none)."""
        among, params = self._last_runs(last_runs, runs)
        rows = self._query(
            "SELECT DISTINCT s.suite, t.nodeid, r.machine"
            " FROM test_results t JOIN suite_runs s ON s.id = t.suite_run_id"
            " JOIN runs r ON r.id = s.run_id"
            f" WHERE {among} AND r.machine IS NOT NULL",
            params,
        )
        machines: dict[tuple[str, str], set[str]] = {}
        for suite, nodeid, machine in rows:
            machines.setdefault((str(suite), str(nodeid)), set()).add(str(machine))
        return {key: tuple(sorted(names)) for key, names in machines.items()}

    def suite_trends(self, last_runs: int = 10) -> dict[str, list[float]]:
        """suite -> its wall durations over its last complete runs, oldest first (for a trend)."""
        mine, own = self._mine("r.")
        rows = self._query(
            "SELECT s.suite, s.duration FROM suite_runs s JOIN runs r ON r.id = s.run_id"
            f" WHERE s.partial = 0 AND s.status IN ('passed', 'failed'){mine} ORDER BY s.id DESC",
            own,
        )
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
        mine, own = self._mine("r.")
        latest = self._query(
            "SELECT s.suite, MAX(s.id) FROM suite_runs s JOIN runs r ON r.id = s.run_id"
            f" WHERE s.partial = 0 AND s.status IN ('passed', 'failed'){mine}"
            " GROUP BY s.suite",
            own,
        )
        for suite, suite_run_id in latest:
            rows = self._query(
                "SELECT nodeid, duration FROM test_results WHERE suite_run_id = ?", (suite_run_id,)
            )
            result[suite] = {nodeid: round(duration, 6) for nodeid, duration in rows}
        return result


RETRIED = "R"
"""The letter of a pass that needed a retry: a flake, even in a single run."""


def flips_of(pattern: str) -> int:
    """How often a pattern flipped between passing and failing; a pass that needed a retry (R)
    is a flip of its own (0: the test is not flaky there)."""
    verdicts = [c for c in pattern if c in "PFR"]
    passes = ["P" if c == RETRIED else c for c in verdicts]
    return verdicts.count(RETRIED) + sum(1 for a, b in itertools.pairwise(passes) if a != b)


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
