"""Run, suite, worker and test state: plain data that the reducer updates in place.

Views (the Textual app, the headless reporter, the report writers) read these objects and
never change them; only `zenboard.model.reducer.apply` does.
"""

from __future__ import annotations

import signal
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from zenboard.model.claims import Claim, Conflict
from zenboard.model.events import FAILED_OUTCOMES, OUTCOMES, decode_record
from zenboard.wire import lost_phase as lost_phase

OUTPUT_LINES_KEPT = 400


def zero_counts() -> dict[str, int]:
    return dict.fromkeys(OUTCOMES, 0)


def signal_name(number: int) -> str:
    """`SIGSEGV` for 11: how a process killed by a signal is named to the user."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class SuiteStatus(StrEnum):
    IDLE = "idle"
    WAITING = "waiting"
    """Started, and waiting for what it `needs` (a service, a port) before pytest runs."""
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    """pytest could not complete the suite (collection or usage error, or it died)."""
    NO_TESTS = "no tests"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self not in (SuiteStatus.IDLE, SuiteStatus.WAITING, SuiteStatus.RUNNING)


@dataclass(slots=True)
class TestResult:
    nodeid: str
    outcome: str
    worker: str
    duration: float
    record_data: dict[str, Any] | bytes = field(default_factory=dict, repr=False)
    """The record, or the JSON text it arrived in until something reads it: read `record`."""
    unreported: bool = False
    """It started but no result ever came: zenboard counts it as an error (see `reason`)."""
    attempts: int = 1
    """How many times it ran: more than 1 when a failed attempt was retried."""
    failed_attempts: tuple[dict[str, Any], ...] = field(default=(), repr=False)
    """The records of its failed attempts before the last (JUnit's `flakyFailure`s)."""
    quarantined: bool = False
    """The project quarantined it: it runs and is reported, its failure fails nothing."""
    started_at: float | None = None
    """When zenboard learnt it started (wall clock; None when unknown)."""
    finished_at: float | None = None
    """When zenboard learnt it ended (wall clock; None when unknown)."""

    @property
    def record(self) -> dict[str, Any]:
        """The test's record in pytest-json-report's shape, decoded (once) on first read: most
        results are counted and never read, and their text is a third the size of the dict."""
        data = self.record_data
        if isinstance(data, bytes):
            data = self.record_data = decode_record(data, self.nodeid, self.outcome)
        return data

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED_OUTCOMES

    @property
    def flaky(self) -> bool:
        """It passed only on a retry: counted as passed, never shown or reported as plainly so."""
        return self.attempts > 1 and self.outcome == "passed"

    def reason(self) -> str:
        """A one-line reason for a failure: the crash message, else the last line of longrepr."""
        for phase in ("setup", "call", "teardown", "???"):
            stage = self.record.get(phase)
            if not isinstance(stage, dict) or stage.get("outcome") not in ("failed",):
                continue
            crash = stage.get("crash")
            if isinstance(crash, dict) and crash.get("message"):
                return (
                    str(crash["message"]).strip().splitlines()[0]
                    if str(crash["message"]).strip()
                    else ""
                )
            longrepr = str(stage.get("longrepr") or "").strip()
            if longrepr:
                return longrepr.splitlines()[-1]
        return self.outcome


@dataclass(slots=True)
class WorkerState:
    id: str
    current: str | None = None
    """The test the worker is running now."""
    done: int = 0
    counts: dict[str, int] = field(default_factory=zero_counts)
    crashed: bool = False
    crashed_test: str | None = None
    down_at: float | None = None
    """When zenboard learnt this worker crashed (wall clock; None when unknown)."""
    timed_out: str = ""
    """Why a crashed worker died when zenboard's timeout ended it (`timed out after 2s`)."""
    replaced_by: str | None = None
    replaces: str | None = None
    restarts: int = 0
    """Times the runner restarted this lane's worker in place (Playwright, after a failure)."""
    current_since: float | None = None
    """When `current` started (wall clock, see `TestStarted.time`); None when unknown."""
    _planned: int | None = None

    @property
    def passed(self) -> int:
        return self.counts["passed"]

    @property
    def failed(self) -> int:
        return self.counts["failed"] + self.counts["error"]

    @property
    def total(self) -> int | None:
        """Tests this worker has done plus those queued on it, where the scheduler tells."""
        if self._planned is None:
            return None
        return max(self._planned, self.done)


@dataclass(slots=True)
class SuiteState:
    name: str
    status: SuiteStatus = SuiteStatus.IDLE
    command: tuple[str, ...] = ()
    runs: int = 0
    """How many times this suite has been launched in this session."""
    rerun_of: tuple[str, ...] = ()
    """The nodeids of the current run when it is a rerun of some tests only."""
    start: str = ""
    """How the current run started: "warm", "cold start: <why>", "" (see `SuiteLaunched`)."""
    allow_empty: bool = False
    """The current run may select no test (see `SuiteLaunched.allow_empty`)."""
    workers_planned: int | None = None
    rootdir: str = ""
    """pytest's rootdir for this suite (nodeids are relative to it)."""
    collected: int | None = None
    tests: dict[str, TestResult] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=zero_counts)
    workers: dict[str, WorkerState] = field(default_factory=dict)
    collect_errors: list[tuple[str, str]] = field(default_factory=list)
    started_at: float | None = None
    finished_at: float | None = None
    returncode: int | None = None
    exitstatus: int | None = None
    """pytest's own exit status from the run_finished event (None if it never came)."""
    error: str = ""
    malformed: int = 0
    oversized: int = 0
    duplicates: int = 0
    """test_finished events for a test already finished in this run (ignored, never counted)."""
    corrected: int = 0
    """Results the stream got wrong or never carried, corrected from the suite's report file."""
    flaky: int = 0
    """Tests that passed only on a retry (also counted in `counts["passed"]`)."""
    retried: int = 0
    """Tests that needed more than one attempt, whatever their last one gave."""
    quarantined_failed: int = 0
    """Failed or errored tests that are quarantined (counted by pytest, failing nothing)."""
    failed_attempts: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)
    """node id -> records of this run's failed attempts of a test that has no result yet."""
    output: deque[str] = field(default_factory=lambda: deque(maxlen=OUTPUT_LINES_KEPT))
    finished_this_run: set[str] = field(default_factory=set, repr=False)
    collected_ids: dict[str, None] = field(default_factory=dict, repr=False)
    """This run's collected node ids, in order (an ordered set)."""
    started_times: dict[str, float] = field(default_factory=dict, repr=False)
    """node id -> when it started (wall clock), for tests of this run with no result yet."""
    started: dict[str, str] = field(default_factory=dict, repr=False)
    """node id -> worker, for tests of this run that started and have no result yet."""
    not_run: list[str] = field(default_factory=list)
    """Collected tests that never started because the run ended early (no outcome)."""
    interrupted: list[str] = field(default_factory=list)
    """Tests that were running when the run was cancelled (no outcome)."""
    quarantine: frozenset[str] = frozenset()
    """The quarantined test ids the current run was launched with (`model.quarantine`)."""
    pid: int = 0
    """The current run's process (claims and conflicts of an earlier run are dropped)."""
    claims: tuple[Claim, ...] = ()
    """What the current run's workers claimed (databases, media dirs, ports), at its end."""
    conflicts: dict[tuple[str, str, str], Conflict] = field(default_factory=dict)
    """Resources a worker of the current run shared with another live holder, by `key`."""
    waiting_for: str = ""
    """While WAITING: what is not ready yet (`postgres: starting`)."""
    waited: float = 0.0
    """While WAITING: seconds waited so far."""

    @property
    def unreported(self) -> int:
        """Tests that started and never reported a result (each counted as an error)."""
        return sum(1 for t in self.tests.values() if t.unreported)

    @property
    def incomplete(self) -> bool:
        """Some test of this run has no outcome: never started, or interrupted."""
        return bool(self.not_run or self.interrupted)

    @property
    def done(self) -> int:
        return len(self.tests)

    @property
    def total(self) -> int | None:
        """Tests expected in this suite: collected, plus kept results on a partial rerun."""
        if self.collected is None:
            return None
        if self.rerun_of:
            return self.collected + len(self.tests) - len(self.finished_this_run)
        return self.collected

    @property
    def failed(self) -> int:
        return self.counts["failed"] + self.counts["error"]

    @property
    def crashed_workers(self) -> list[WorkerState]:
        return [w for w in self.workers.values() if w.crashed]

    def quarantined_failures(self) -> list[TestResult]:
        return [t for t in self.tests.values() if t.quarantined and t.failed]

    def duration(self, now: float) -> float:
        if self.started_at is None:
            return 0.0
        end = self.finished_at if self.finished_at is not None else now
        return max(0.0, end - self.started_at)

    def failures(self) -> list[TestResult]:
        return [t for t in self.tests.values() if t.failed]


@dataclass(slots=True)
class RunState:
    """All suites of one zenboard session, in configuration order."""

    suites: dict[str, SuiteState] = field(default_factory=dict)
    revision: int = 0
    """Bumped by every applied event, so views can tell cheaply whether to redraw."""

    @classmethod
    def for_suites(cls, names: list[str] | tuple[str, ...]) -> RunState:
        return cls(suites={n: SuiteState(name=n) for n in names})

    @property
    def running(self) -> bool:
        """A suite runs, or waits to (a waiting suite is part of the run in progress)."""
        busy = (SuiteStatus.RUNNING, SuiteStatus.WAITING)
        return any(s.status in busy for s in self.suites.values())

    @property
    def status(self) -> SuiteStatus:
        """The run's overall state: running (or waiting), else the worst finished state.

        A suite that selected no test without being allowed to outranks the passed ones, as in
        `exit_code` (5 beats 0): a run with a typo in one suite's `-m` is never shown green.
        """
        states = [s.status for s in self.suites.values()]
        if SuiteStatus.RUNNING in states or SuiteStatus.WAITING in states:
            return SuiteStatus.RUNNING
        for worst in (SuiteStatus.ERROR, SuiteStatus.FAILED, SuiteStatus.CANCELLED):
            if worst in states:
                return worst
        if self.empty_suites():
            return SuiteStatus.NO_TESTS
        for worst in (SuiteStatus.PASSED, SuiteStatus.NO_TESTS):
            if worst in states:
                return worst
        return SuiteStatus.IDLE

    def exit_code(self) -> int:
        """zenboard's exit code for the suites run: 0 passed, 1 failed or incomplete, 5 no tests.

        5 when a suite run whole selected no test (a typo in `-m` must not give a green run),
        unless it allows that; a run of part of a suite (a rerun, a watch phase) may be empty.
        """
        ran = [s for s in self.suites.values() if s.status is not SuiteStatus.IDLE]
        if any(
            s.status in (SuiteStatus.FAILED, SuiteStatus.ERROR, SuiteStatus.CANCELLED) for s in ran
        ):
            return 1
        if self.empty_suites():
            return 5
        return 0

    def conflicts(self) -> list[Conflict]:
        """Every shared resource the suites' current runs met, once each (with the most
        holders any suite saw)."""
        found: dict[tuple[str, str, str], Conflict] = {}
        for suite in self.suites.values():
            for key, conflict in suite.conflicts.items():
                known = found.get(key)
                if known is None or len(conflict.holders) > len(known.holders):
                    found[key] = conflict
        return list(found.values())

    def empty_suites(self) -> list[SuiteState]:
        """Suites whose whole run selected no test, though they do not allow it."""
        return [
            s
            for s in self.suites.values()
            if s.status is SuiteStatus.NO_TESTS and not s.allow_empty
        ]
