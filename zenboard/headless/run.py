"""The headless view: plain progress lines, a final table, reports and an exit code.

It reads the same model the dashboard reads. In `--ci` mode each suite prints at most one
progress line a second (only when something changed), so a CI log stays readable; failures,
crashes and suite errors are printed as they happen, once each.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from zenboard import safefs
from zenboard.config import ProjectConfig, SuiteConfig
from zenboard.engine import Engine, EventBuffer
from zenboard.headless.lines import final_table, progress_line, quarantine_lines
from zenboard.headless.short_traceback import short_traceback
from zenboard.model import events as ev
from zenboard.model.claims import Conflict
from zenboard.model.reducer import apply
from zenboard.model.state import RunState, SuiteState, TestResult
from zenboard.model.timing import slow_tests
from zenboard.textsafe import visible
from zenboard.wire import TIMED_OUT, cut
from zenboard.words import plural

if TYPE_CHECKING:
    from zenboard.headless.github import GitHubEnv
    from zenboard.records.event_feed import EventFeed
    from zenboard.tasks.docker_watch import ContainerWatcher

PROGRESS_INTERVAL_CI = 1.0
PROGRESS_INTERVAL_TTY = 0.5
REASON_CHARS = 300
"""Longest failure reason on a line of output (the reports keep up to wire.TEXT_BOUND)."""
TRACEBACKS_SHOWN = 50
"""Failures whose short traceback follows their line; later ones get the line alone."""
READER_NICENESS = 10
WAITING_EVERY_CI = 10.0
WAITING_EVERY_TTY = 1.0
"""Seconds between two `waiting for` lines of a suite whose wait has not changed."""
"""Headless output is a line a second: its reading and folding can wait for the suites."""


@dataclass(frozen=True)
class RunOptions:
    """How a headless run runs, prints and is recorded; the defaults are `zenboard run`'s."""

    report_dir: Path | None = None
    """Where the reports are published; None: the project's `.zenboard/reports/latest`."""
    ci: bool = False
    """CI output: at most one progress line a second per suite (else two)."""
    out: TextIO | None = None
    """Where the lines go; None: standard output."""
    extra_env: Mapping[str, str] | None = None
    """Variables added to every suite's environment (the task's ports, say)."""
    selection: Mapping[str, tuple[tuple[str, ...], str]] = field(default_factory=dict)
    """suite -> (nodeids, rootdir) for suites that run only some tests (a shard, a plan)."""
    kind: str = "run"
    """What the history records this run as (run, verify, compare ...)."""
    shard: str | None = None
    """`K/N` when this run is one shard of a CI run."""
    partial: bool | None = None
    """Whether the selected suites ran only some of their tests; None: when there is a
    selection (False: a planned run of every test)."""
    plan_id: str | None = None
    """A shard plan's fingerprint, recorded in summary.json as `plan` (merge checks it)."""
    events: Path | None = None
    """`--events FILE`: the run's events are appended there as JSON lines, live."""
    summary_md: Path | None = None
    """`--summary-md FILE`: the run's summary in Markdown (a CI's job page)."""
    github: GitHubEnv | None = None
    """Set under GitHub Actions with `--ci`: a job summary and annotations."""


class HeadlessRun:
    """Runs suites to completion, printing as it goes; `run()` returns zenboard's exit code.

    Its parts are public for views that run longer (`HeadlessWatch`): `consume` folds and
    prints events, `print_progress` and `publish_reports` do what a run's end does, and
    `interruptible` turns SIGINT, SIGTERM and SIGHUP into `interrupted`.
    """

    def __init__(
        self,
        config: ProjectConfig,
        suites: tuple[SuiteConfig, ...],
        options: RunOptions = RunOptions(),  # frozen: one shared default is safe
    ) -> None:
        self.config = config
        self.suites = suites
        self.options = options
        self.out = options.out or sys.stdout
        self.ci = options.ci
        self.buffer = EventBuffer()
        extra_env = dict(options.extra_env) if options.extra_env is not None else None
        self.engine = Engine(
            config, self.buffer, options.report_dir, extra_env, reader_niceness=READER_NICENESS
        )
        self.state = RunState.for_suites([s.name for s in suites])
        self._last_print: dict[str, tuple[float, int]] = {}
        self.interrupted = False
        """A signal asked the run to stop (its runs are cancelled; the exit code is not 0)."""
        self.output_closed = False
        """Whoever read the lines went away (`zenboard run | head`): nothing more is printed."""
        self._reports_written: dict[str, tuple[int, ...]] = {}
        """suite -> the results its JUnit file was written from (runs, tests, done, errors)."""
        self._write_faults: dict[str, OSError] = {}
        """suite -> why its JUnit file could not be staged (said when publishing)."""
        self._named: set[tuple[str, int, str]] = set()
        """(suite, run, nodeid) of every failure line printed: each test is named once."""
        self._slow_named: set[tuple[str, int, str]] = set()
        """(suite, run, nodeid) of every SLOW line printed: one line per test and run."""
        self._slow = {s.name: s.slow for s in suites}
        """suite -> its `slow` threshold in seconds (0: no SLOW mark)."""
        self._waiting_said: dict[str, tuple[str, float]] = {}
        """suite -> what its last `waiting for` line said, and when (monotonic)."""
        self._meta: dict[str, Any] | None = None
        self._conflicts_said: dict[tuple[str, str, str], Conflict] = {}
        """Resources said to be shared, with the holders named (more holders: said again)."""
        self.selection = dict(options.selection)
        self.partial = bool(self.selection) if options.partial is None else options.partial
        self.feed: EventFeed | None = None
        """`--events`: where each event goes once folded (None: nowhere)."""
        self._feed_failed = False
        """The feed could not be written: the run's exit code is not 0."""

    def print(self, line: str) -> None:
        """One line of output; what tests and pytest wrote in it is shown, never obeyed."""
        if self.output_closed:
            return
        try:
            self.out.write(visible(line) + "\n")
            self.out.flush()
        except BrokenPipeError:
            # Whoever read our output stopped (`zenboard run | head`): the run goes on to its
            # reports, history and exit code, silently.
            self.output_closed = True

    def run(self) -> int:
        self.engine.check(self.suites)
        from zenboard.headless.failure_services import watch_services

        env = self.options.extra_env or {}
        services = watch_services(env.get("COMPOSE_PROJECT_NAME"))
        try:
            return self._run(services)
        finally:
            if services is not None:
                services.close()

    def _run(self, services: ContainerWatcher | None) -> int:
        started = time.monotonic()
        self._open_feed()
        with self.interruptible():
            for suite in self.suites:
                nodeids, rootdir = self.selection.get(suite.name, ((), ""))
                self.engine.start(suite, nodeids, rootdir)
            while True:
                # Wake on a suite's exit or on the clock, not per event: the consumer must cost
                # the test processes (sharing the same cores) next to nothing.
                self.engine.exited.wait(0.1)
                self.engine.exited.clear()
                self.consume(self.buffer.drain())
                self.print_progress(final=False)
                if self.engine.all_done() and not self.engine.running():
                    self.consume(self.buffer.drain())
                    break
                if self.interrupted:
                    self.engine.cancel_all()
        run_seconds = time.monotonic() - started
        now = time.time()
        self.print_progress(final=True)
        for line in final_table(self.state, now):
            self.print(line)
        if services is not None:
            from zenboard.headless.failure_services import failure_service_lines

            for line in failure_service_lines(self.state, services):
                self.print(line)
        self._explain_empty_suites()
        for line in quarantine_lines(self.config, self.state, self._whole_project()):
            self.print(line)
        self._summarise_conflicts()
        over = self._over_budget(now, run_seconds)
        for line in over:
            self.print(line)
        meta = self._run_meta()
        published = self.publish_reports(meta)
        self.engine.close()
        code = self.state.exit_code()
        if not published:
            code = max(code, 1) if code != 2 else code
        if over:
            code = 1 if code != 2 else code  # precedence 2 > 1 > 5 > 0
        if self.interrupted:
            code = max(code, 1)
        code = self._ci_outputs(code, over)
        partial = tuple(self.selection) if self.partial else ()
        from zenboard.records import recording

        options = self.options
        for line in recording.after_run(
            self.config.root,
            self.state,
            options.kind,
            code,
            partial,
            options.shard,
            meta["commit"],
            history_url=self.config.history,
            project=self.config.project,
        ):
            self.print(line)
        return self._close_feed(code)

    def _over_budget(self, now: float, run_seconds: float) -> list[str]:
        """`budget exceeded` lines: a full, unsharded `run` only (a part's time says nothing;
        `verify` and `compare` measure other things)."""
        if self.partial or self.interrupted or self.options.kind != "run":
            return []
        from zenboard.model.budgets import over_budget

        whole = len(self.suites) == len(self.config.suites)
        budgets = {s.name: s.budget for s in self.suites}
        run_budget = self.config.budget if whole else None
        return over_budget(self.state, budgets, now, run_budget, run_seconds)

    def _ci_outputs(self, code: int, notes: list[str]) -> int:
        """The job summary and annotations (`--summary-md`, GitHub Actions); `code`, or 1 when
        a summary could not be written."""
        if self.options.summary_md is None and self.options.github is None:
            return code
        from zenboard.headless.ci_outputs import write_ci_outputs

        done = write_ci_outputs(
            self.state, self.config.root, code, self.options.github, self.options.summary_md, notes
        )
        for line in done.lines:
            self.print(line)
        for fault in done.faults:
            self.print(fault)
        return max(code, 1) if done.faults and code != 2 else code

    def _open_feed(self) -> None:
        """`--events FILE`: open the feed and write its `run_started` (a fault: one line)."""
        if self.options.events is None:
            return
        from zenboard.records.event_feed import EventFeed

        self.feed = EventFeed(self.options.events)
        self.feed.started([s.name for s in self.suites])
        self._say_feed_fault()

    def _say_feed_fault(self) -> None:
        feed = self.feed
        if feed is not None and feed.fault is not None:
            self.print(f"events: could not be written: {safefs.describe(feed.fault)}")
            self.feed = None
            self._feed_failed = True

    def _close_feed(self, code: int) -> int:
        """The feed's `run_finished`, with the exit code; a feed that failed makes it not 0."""
        if self.feed is not None:
            self.feed.finished(self.state, code)
            self._say_feed_fault()
        if self._feed_failed and code == 0:
            return 1
        return code

    def _whole_project(self) -> bool:
        """Whether this run ran every configured suite whole (every test id could show up)."""
        return not self.selection and len(self.suites) == len(self.config.suites)

    def _explain_empty_suites(self) -> None:
        """Name each suite that ran whole and selected nothing: the reason for exit code 5."""
        empty = {s.name for s in self.state.empty_suites()}
        if not empty:
            return
        from zenboard.planning.empty_suite import explain_empty

        for line in explain_empty([s for s in self.suites if s.name in empty]):
            self.print(line)

    def publish_reports(self, meta: dict[str, Any] | None = None, announce: bool = True) -> bool:
        """Publish the reports; files that cannot be written are one line, not the end.

        The line names the first file that failed and why (a full or read-only disk, a symlink
        zenboard will not write through), counting the others; a JUnit file that could not be
        staged during the run counts too: the report dir then lacks it, and the run is not a
        success.
        """
        faults = list(self._write_faults.values())
        self._write_faults.clear()
        try:
            summary = self._publish(meta)
        except OSError as exc:
            faults.append(exc)
        else:
            if not faults and announce:
                self.print(f"reports: {summary.parent}")
        if faults:
            more = f" (and {len(faults) - 1} more)" if len(faults) > 1 else ""
            self.print(f"reports: could not be written: {safefs.describe(faults[0])}{more}")
        return not faults

    def _publish(self, meta: dict[str, Any] | None = None) -> Path:
        """This run's reports into the report dir, all at once (see reports.publish)."""
        from zenboard.records import reports

        engine = self.engine
        return reports.publish(
            self.state, engine.staging_dir, engine.report_dir, meta, root=engine.report_root
        )

    def _name_failure(self, suite: SuiteState, nodeid: str) -> None:
        """One line for a failed, errored or unreported test, once per test and run."""
        test = suite.tests.get(nodeid)
        if test is None or not test.failed or (suite.name, suite.runs, nodeid) in self._named:
            return
        self._named.add((suite.name, suite.runs, nodeid))
        label = "UNREPORTED" if test.unreported else test.outcome.upper()
        if test.quarantined:
            label += " (quarantined: does not fail the run)"
        reason = cut(test.reason(), REASON_CHARS)
        self.print(f"[{suite.name}] {label} {nodeid} ({test.worker}): {reason}")
        if len(self._named) <= TRACEBACKS_SHOWN:
            for line in short_traceback(test.record, suite.rootdir or str(self.config.root)):
                self.print(f"    {line}")
        elif len(self._named) == TRACEBACKS_SHOWN + 1:
            self.print(f"    (no more short tracebacks after {TRACEBACKS_SHOWN}: see the reports)")

    def _name_flaky(self, suite: SuiteState, nodeid: str) -> None:
        """One line for a test that passed only on a retry: flaky, never simply passed."""
        test = suite.tests.get(nodeid)
        if test is not None and test.flaky:
            self.print(
                f"[{suite.name}] FLAKY {nodeid} ({test.worker}): passed on attempt {test.attempts}"
            )

    def _say_conflict(self, conflict: Conflict) -> None:
        """One line for a resource two live workers share, again only when more holders join."""
        said = self._conflicts_said.get(conflict.key)
        if said is not None and said.covers(conflict):
            return
        self._conflicts_said[conflict.key] = conflict
        self.print(f"isolation: SHARED {conflict.describe(str(self.config.root))}")

    def _summarise_conflicts(self) -> None:
        """After the table: how many resources were shared (a warning; the exit code stays)."""
        shared = self.state.conflicts()
        if shared:
            self.print(
                f"isolation: {plural(len(shared), 'resource')} used by more than one live "
                "worker at once (the SHARED lines above; summary.json's isolation.conflicts)"
            )

    def _say_claim_faults(self) -> None:
        faults = self.engine.claims.faults
        while faults:
            self.print(f"isolation: {faults.pop(0)}")

    def _say_waiting(self, event: ev.SuiteWaiting) -> None:
        """`[db-tests] waiting for postgres: starting, 3 s`: when it changes, else every few
        seconds (CI logs stay short; a terminal sees it move)."""
        now = time.monotonic()
        said, at = self._waiting_said.get(event.suite, ("", 0.0))
        every = WAITING_EVERY_CI if self.ci else WAITING_EVERY_TTY
        if event.waiting_for != said or now - at >= every:
            self._waiting_said[event.suite] = (event.waiting_for, now)
            self.print(f"[{event.suite}] waiting for {event.waiting_for}, {event.seconds:.0f} s")

    def consume(self, events: list[ev.Event]) -> None:
        """Fold `events` into the state, printing failures, crashes and errors as they come."""
        self._say_claim_faults()
        for event in events:
            apply(self.state, event)
            if self.feed is not None:
                self.feed.add(event, self.state)
            if isinstance(event, ev.ClaimConflict):
                self._say_conflict(event.conflict)
            elif isinstance(event, ev.SuiteWaiting):
                self._say_waiting(event)
            elif isinstance(event, ev.TestFinished) and event.outcome in ev.FAILED_OUTCOMES:
                self._name_failure(self.state.suites[event.suite], event.nodeid)
            elif isinstance(event, ev.TestFinished) and event.attempts > 1:
                self._name_flaky(self.state.suites[event.suite], event.nodeid)
            elif isinstance(event, ev.TestRetried):
                reason = cut(
                    TestResult(event.nodeid, "failed", "", 0.0, event.record).reason(), REASON_CHARS
                )
                self.print(
                    f"[{event.suite}] RETRY {event.nodeid} ({event.worker}): "
                    f"attempt {event.attempt} failed: {reason}"
                )
            elif isinstance(event, ev.ResultsCorrected):
                suite = self.state.suites[event.suite]
                self.print(
                    f"[{event.suite}] stream damaged: {plural(event.count, 'result')} corrected "
                    "from pytest's JSON report"
                )
                for result in event.results:
                    self._name_failure(suite, result.nodeid)
                for nodeid, _, _ in event.unreported:
                    self._name_failure(suite, nodeid)
            elif isinstance(event, ev.WorkerDown) and event.crashed:
                running = event.test or "?"
                if event.error.startswith(TIMED_OUT):
                    self.print(
                        f"[{event.suite}] TIMED OUT {running}: worker {event.worker} was ended "
                        f"({event.error}; xdist replaces it)"
                    )
                else:
                    self.print(
                        f"[{event.suite}] CRASHED worker {event.worker} while running {running}"
                    )
            elif isinstance(event, ev.WorkerReplaced) and event.replacement != event.worker:
                self.print(f"[{event.suite}] worker {event.worker} replaced by {event.replacement}")
            elif isinstance(event, ev.CollectFailed):
                first = event.longrepr.strip().splitlines()[-1:] or [""]
                self.print(f"[{event.suite}] COLLECTION ERROR {event.nodeid}: {first[0]}")
            elif isinstance(event, ev.RunFinished):
                # pytest still tears its workers down and exits, which takes a while: write
                # what is already final now rather than after the process is gone.
                self._write_suite_reports(self.state.suites[event.suite])
                self._run_meta()
            elif isinstance(event, ev.SuiteExited):
                suite = self.state.suites[event.suite]
                for test in suite.tests.values():
                    if test.unreported:
                        self._name_failure(suite, test.nodeid)
                for nodeid in suite.interrupted:
                    self.print(f"[{event.suite}] INTERRUPTED {nodeid} (running at the cancel)")
                if suite.not_run:
                    self.print(
                        f"[{event.suite}] NOT RUN {plural(len(suite.not_run), 'test')} "
                        f"(the run ended before they started), e.g. {suite.not_run[0]}"
                    )
                self._write_suite_reports(suite)
                if suite.error:
                    self.print(f"[{event.suite}] ERROR {suite.error}")
        if self.feed is not None:
            self.feed.flush()
            self._say_feed_fault()

    def _write_suite_reports(self, suite: SuiteState) -> None:
        """A suite's JUnit file, unless it was written from the very same results already."""
        results = (
            suite.runs,
            len(suite.tests),
            suite.done,
            len(suite.collect_errors),
            suite.corrected,
            suite.unreported,
            len(suite.not_run) + len(suite.interrupted),
        )
        if self._reports_written.get(suite.name) == results:
            return
        from zenboard.records import reports

        try:
            reports.write_suite_reports(suite, self.engine.staging_dir, self.config.quarantine)
        except OSError as exc:
            # Said once, at publishing, under the name the file would have been published as.
            target = self.engine.report_dir / f"{suite.name}.xml"
            self._write_faults[suite.name] = OSError(exc.errno, exc.strerror, str(target))
            return
        self._write_faults.pop(suite.name, None)
        self._reports_written[suite.name] = results

    def _run_meta(self) -> dict[str, Any]:
        """summary.json's top-level keys (the commit: a `git` call), asked once per run."""
        if self._meta is None:
            from zenboard.records import recording

            self._meta = recording.run_meta(self.config.root, self.options.shard)
            if self.options.plan_id:
                self._meta["plan"] = self.options.plan_id
        return self._meta

    def print_slow(self, now: float) -> None:
        """One SLOW line for each running test past its suite's `slow` threshold, once."""
        for suite in self.state.suites.values():
            threshold = self._slow.get(suite.name, 0.0)
            if not threshold or suite.status.finished:
                continue
            for slow in slow_tests(suite, now, threshold):
                key = (suite.name, suite.runs, slow.nodeid)
                if key in self._slow_named:
                    continue
                self._slow_named.add(key)
                self.print(
                    f"[{suite.name}] SLOW {slow.nodeid} ({slow.worker}): still running after "
                    f"{threshold:g}s (the suite's slow threshold)"
                )

    def print_progress(self, final: bool) -> None:
        """A progress line for each suite that changed since its last (at most one per interval
        unless `final`), after the SLOW lines of tests that just went past their threshold."""
        now = time.time()
        if not final:
            self.print_slow(now)
        interval = PROGRESS_INTERVAL_CI if self.ci else PROGRESS_INTERVAL_TTY
        for suite in self.state.suites.values():
            if not suite.runs:
                continue
            last_time, last_rev = self._last_print.get(suite.name, (0.0, -1))
            finished = 1 << 30 if suite.status.finished else 0
            signature = (suite.runs << 40) + suite.done * 8 + len(suite.workers) + finished
            if signature == last_rev:
                continue
            if (
                not final
                and now - last_time < interval
                and not (suite.status.finished and signature != last_rev)
            ):
                continue
            self._last_print[suite.name] = (now, signature)
            self.print(progress_line(suite, now))

    @contextmanager
    def interruptible(self) -> Iterator[None]:
        """SIGINT, SIGTERM and SIGHUP set `interrupted` while inside (main thread only)."""

        def interrupted(signum: int, frame: FrameType | None) -> None:
            self.interrupted = True

        previous = {
            sig: signal.signal(sig, interrupted)
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
