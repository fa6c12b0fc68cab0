"""The dashboard's session: the model, the engine and the reports, without any Textual.

The app owns one `Session`. A timer calls `fold()`, which drains the engine's buffer, applies
every event to the model with the reducer and returns a `Batch` saying what changed, so the app
repaints only those widgets. Commands go to the engine through the `Commander` thread. At the end
of every suite run the session writes the same reports as `zenboard run` (the per-suite JUnit
file and `summary.json`), from the same model, with the same functions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from zenboard import safefs
from zenboard.config import ProjectConfig, SuiteConfig
from zenboard.engine import Engine, EventBuffer
from zenboard.model import events as ev
from zenboard.model.budgets import over_budget
from zenboard.model.claims import Conflict
from zenboard.model.reducer import apply
from zenboard.model.state import RunState, SuiteState
from zenboard.records import reports
from zenboard.records.event_feed import EventFeed
from zenboard.ui.commander import Commander
from zenboard.ui.launch_window import FinishedLaunch, LaunchWindow

Clock = Callable[[], float]


@dataclass
class Batch:
    """What one fold changed, so views redraw only that."""

    events: int = 0
    suites: set[str] = field(default_factory=set)
    tests: list[tuple[str, str]] = field(default_factory=list)
    """(suite, nodeid) of every test that finished in this batch, in order."""
    launched: set[str] = field(default_factory=set)
    output: dict[str, list[str]] = field(default_factory=dict)
    exited: list[str] = field(default_factory=list)
    log_reset: set[str] = field(default_factory=set)
    """Suites launched since the log panel last painted (their output starts over)."""
    finished_launch: FinishedLaunch | None = None
    """Set on the fold that ended a launch (every suite of it exited): the history records it."""

    def merge(self, other: Batch) -> None:
        """Add a later fold's changes to this one (the app paints less often than it folds)."""
        self.events += other.events
        self.suites |= other.suites
        self.tests += other.tests
        self.launched |= other.launched
        self.log_reset |= other.launched
        for suite in other.launched:
            self.output.pop(suite, None)
        for suite, lines in other.output.items():
            self.output.setdefault(suite, []).extend(lines)
        self.exited += other.exited


class Session:
    def __init__(
        self,
        config: ProjectConfig,
        suites: tuple[SuiteConfig, ...] | None = None,
        report_dir: Path | None = None,
        extra_env: dict[str, str] | None = None,
        clock: Clock = time.time,
        task: str = "",
        events: Path | None = None,
        suite_niceness: int = 0,
    ) -> None:
        """The dashboard's engine, model and commander for `config`'s suites.

        Args:
            config: The project's configuration.
            suites: The suites shown and run (None: all of them).
            report_dir: Where reports are published (None: `.zenboard/reports`).
            extra_env: Variables added to every suite's environment (a task's ports).
            clock: The wall clock (tests pass a fake one).
            task: The task id, recorded in the history.
            events: `--events FILE`: the session's events are appended there as JSON lines.
            suite_niceness: How much lower than the dashboard's the priority of every suite's
                processes is (0: the same).
        """
        self.config = config
        self.suites = suites if suites is not None else config.suites
        self.task = task
        self.clock = clock
        self.buffer = EventBuffer()
        self.engine = Engine(
            config, self.buffer, report_dir, extra_env, suite_niceness=suite_niceness
        )
        self.engine.enable_warm()  # `t`, `f` and watch reruns fork a warm pytest (engine/warm.py)
        self.state = RunState.for_suites([s.name for s in self.suites])
        self.errors: list[str] = []
        """Faults of engine commands, for the app to show (never fatal)."""
        self.warnings: list[str] = []
        """Resources two live workers share, one line each, for the app to show."""
        self._conflicts_said: dict[tuple[str, str, str], Conflict] = {}
        self.commander = Commander(
            on_error=lambda exc: self.errors.append(f"{type(exc).__name__}: {exc}")
        )
        self.launch = LaunchWindow()
        """The suites of the launch in progress (recorded in the history when it ends)."""
        self.budget_notes: list[str] = []
        """`budget exceeded` lines of the launch that just ended, for the app to show."""
        self.over_budget = False
        """The latest full launch went over a budget: the dashboard's exit code is 1."""
        self._watch_runs: set[str] = set()
        """Suites of the open launch started by watch mode (a watch phase is no full run)."""
        self.feed: EventFeed | None = None
        self.feed_failed = False
        self._feed_path = events

    def open_feed(self) -> None:
        """`--events FILE`: start the feed (once the input is known good: bad input writes none)."""
        if self._feed_path is None or self.feed is not None:
            return
        self.feed = EventFeed(self._feed_path)
        self.feed.started([s.name for s in self.suites])
        self._check_feed()

    @property
    def report_dir(self) -> Path:
        return self.engine.report_dir

    def suite_config(self, name: str) -> SuiteConfig:
        for suite in self.suites:
            if suite.name == name:
                return suite
        return self.config.suite(name)

    def fold(self, events: list[ev.Event] | None = None) -> Batch:
        """Apply the buffered events (or `events`) to the model; write reports of ended runs."""
        events = self.buffer.drain() if events is None else events
        batch = Batch(events=len(events))
        for event in events:
            apply(self.state, event)
            if self.feed is not None:
                self.feed.add(event, self.state)
            batch.suites.add(event.suite)
            if isinstance(event, ev.TestFinished):
                batch.tests.append((event.suite, event.nodeid))
                self.launch.finished(event.suite, event.nodeid)
            elif isinstance(event, ev.OutputLine):
                batch.output.setdefault(event.suite, []).append(event.text)
            elif isinstance(event, ev.SuiteLaunched):
                batch.launched.add(event.suite)
                batch.output.pop(event.suite, None)
                self.launch.launched(event)
                if event.allow_empty and not self.suite_config(event.suite).allow_empty:
                    self._watch_runs.add(event.suite)  # watch phases may select nothing
            elif isinstance(event, ev.ClaimConflict):
                self._warn(event.conflict)
            elif isinstance(event, ev.ResultsCorrected):
                batch.tests += [(event.suite, result.nodeid) for result in event.results]
                batch.tests += [(event.suite, nodeid) for nodeid, _, _ in event.unreported]
            elif isinstance(event, ev.SuiteExited):
                batch.exited.append(event.suite)
                suite = self.state.suites[event.suite]
                batch.tests += [
                    (suite.name, t.nodeid) for t in suite.tests.values() if t.unreported
                ]
                self.write_reports(suite)
        faults = self.engine.claims.faults
        while faults:
            self.errors.append(f"isolation: {faults.pop(0)}")
        if self.feed is not None:
            self.feed.flush()
            self._check_feed()
        if self.launch.open and self.quiet():
            batch.finished_launch = self.launch.close(self.state)
            if batch.finished_launch is not None:
                self._check_budgets(batch.finished_launch)
            self._watch_runs.clear()
        return batch

    def _check_budgets(self, launch: FinishedLaunch) -> None:
        """After a launch of whole suites (not a rerun of some tests, not watch mode): the
        suites, and the run when every suite ran, against their budgets."""
        whole = [n for n in launch.state.suites if n not in launch.partial | self._watch_runs]
        if len(whole) != len(launch.state.suites):
            return
        budgets = {n: self.suite_config(n).budget for n in whole}
        every = {s.name for s in self.config.suites} <= set(whole)
        ended = self.launch.last
        seconds = ended[1] - ended[0] if ended is not None else 0.0
        run_budget = self.config.budget if every else None
        lines = over_budget(self.state, budgets, self.clock(), run_budget, seconds)
        self.over_budget = bool(lines)
        self.budget_notes += lines

    def _check_feed(self) -> None:
        """A feed that cannot be written: said once; the session's exit code is then not 0."""
        if self.feed is not None and self.feed.fault is not None:
            self.errors.append(f"events: could not be written: {safefs.describe(self.feed.fault)}")
            self.feed, self.feed_failed = None, True

    def exit_code(self) -> int:
        """zenboard's exit code for the runs seen: the model's, 1 over a budget or without
        the event feed asked for."""
        code = self.state.exit_code()
        if (self.over_budget or self.feed_failed) and code != 2:
            return 1
        return code

    def _warn(self, conflict: Conflict) -> None:
        """A shared resource, said once (again when more holders join)."""
        said = self._conflicts_said.get(conflict.key)
        if said is None or not said.covers(conflict):
            self._conflicts_said[conflict.key] = conflict
            self.warnings.append(conflict.describe(str(self.config.root)))

    def quiet(self) -> bool:
        """Nothing runs, nothing is queued to start, no event is waiting: the launch is over."""
        return (
            not self.state.running
            and self.commander.wait_idle(0)
            and self.engine.all_done()
            and not self.buffer.wait(0)
        )

    def published(self, line: str) -> str:
        """An output line with this session's staging folder named as the report dir instead.

        pytest-json-report says `report saved to: <staging>/<suite>.json`, but the staging
        folder is emptied when the reports are published: the file is in the report dir."""
        staging = str(self.engine.staging_dir)
        return line.replace(staging, str(self.report_dir)) if staging in line else line

    def write_reports(self, suite: SuiteState) -> None:
        """The reports `zenboard run` writes, refreshed at the end of every suite run."""
        try:
            reports.write_suite_reports(suite, self.engine.staging_dir, self.config.quarantine)
            reports.publish(
                self.state, self.engine.staging_dir, self.report_dir, root=self.engine.report_root
            )
        except OSError as exc:
            self.errors.append(f"reports: could not be written: {safefs.describe(exc)}")

    # Commands: each returns at once; the engine work happens on the commander thread.

    def start(self, names: list[str] | None = None) -> None:
        for suite in self.suites if names is None else [self.suite_config(n) for n in names]:
            self.commander.submit(partial(self._start, suite))

    def rerun_tests(self, name: str, nodeids: tuple[str, ...]) -> None:
        suite = self.suite_config(name)
        rootdir = self.state.suites[name].rootdir
        self.commander.submit(lambda: self._start(suite, nodeids, rootdir))

    def failed_nodeids(self, name: str) -> tuple[str, ...]:
        return tuple(t.nodeid for t in self.state.suites[name].failures())

    def cancel(self, name: str) -> None:
        self.commander.submit(lambda: self.engine.cancel(name))

    def cancel_all_now(self) -> None:
        """Stop every run and wait for it (blocking: call it from a thread, or at exit)."""
        self.engine.cancel_all()

    def shutdown(self) -> None:
        """Refuse further commands and stop everything that runs. Safe to call twice."""
        self.commander.close()
        self.commander.join(15.0)
        self.engine.cancel_all()
        self.engine.close()
        feed, self.feed = self.feed, None
        if feed is not None:  # the app may still fold on its thread: the feed has a lock
            feed.finished(self.state, self.exit_code())

    def _start(self, suite: SuiteConfig, nodeids: tuple[str, ...] = (), rootdir: str = "") -> None:
        if self.commander.closed:
            return
        self.engine.start(suite, nodeids=nodeids, rootdir=rootdir)
