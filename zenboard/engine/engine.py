"""The engine: several suites at once, each a `SuiteRun`; cancel and rerun by suite or test.

It owns no state beyond the live processes: results live in the model, which the consumer
builds from the events the engine puts into its `EventBuffer`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import threading
import time
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from zenboard import safefs
from zenboard.config import ProjectConfig, SuiteConfig, inherited_environment, with_workers_from
from zenboard.engine.buffer import EventBuffer
from zenboard.engine.claim_watch import ClaimWatch
from zenboard.engine.commands import SuiteCommand, build_suite_command
from zenboard.engine.commands.pytest import check_interpreter
from zenboard.engine.scratch import ScratchDir
from zenboard.engine.suite_run import SuiteRun
from zenboard.errors import InputError
from zenboard.model import events as ev
from zenboard.project.statedir import STATE_DIR, registry_dir

if TYPE_CHECKING:  # engine/needs.py is imported only by a run whose suites have `needs`
    from zenboard.engine.needs import NeedsWait
    from zenboard.engine.warm import WarmPool

DEFAULT_REPORT_DIR = Path(".zenboard/reports/latest")
STAGING_PREFIX = ".run-"

Phase = tuple[SuiteConfig, tuple[str, ...]]
"""One run of a phase sequence: the suite as this phase runs it, and its nodeids (empty: all)."""


_PRIVATE_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def report_location(root: Path, report_dir: Path | None) -> tuple[Path, Path]:
    """The report dir, and the root below which zenboard follows no symlink to reach it.

    zenboard's own report dirs (the default, `verify`'s and `compare`'s) live in the project's
    state dir `.zenboard/`: their root is the project, so a link planted anywhere below it
    (`.zenboard/reports -> ~`) is refused. A report dir the user names (`--report-dir`) is
    theirs: resolved as given, links and all, and only what lies below it is guarded.
    """
    path = Path(os.path.abspath(report_dir if report_dir else root / DEFAULT_REPORT_DIR))
    if path.is_relative_to(root / STATE_DIR):
        return path, root
    resolved = path.resolve()
    return resolved, resolved


class Engine:
    def __init__(
        self,
        config: ProjectConfig,
        buffer: EventBuffer,
        report_dir: Path | None = None,
        extra_env: dict[str, str] | None = None,
        reader_niceness: int = 0,
        suite_niceness: int = 0,
    ) -> None:
        """An engine for `config`'s suites whose runs emit their events into `buffer`.

        Args:
            config: The project's validated configuration.
            buffer: Where every run emits its events, for a view to drain.
            report_dir: Where reports go (None: `.zenboard/reports`; see `report_location`).
            extra_env: Variables added to every suite's environment (a task's ports).
            reader_niceness: Nice value of the threads that read suites' output and events.
            suite_niceness: How much lower than zenboard's the priority of every suite's
                processes is (the dashboard sets it, so that drawing never waits for them).
        """
        self.config = config
        self.reader_niceness = reader_niceness
        """Nice value of the threads that read suites' output and events: the headless view
        sets it so that, on busy cores, reading costs the suites themselves nothing."""
        self.suite_niceness = suite_niceness
        self.buffer = buffer
        self.report_dir, self.report_root = report_location(config.root, report_dir)
        """Where reports go, and the root below which no symlink is followed on the way there
        (see `report_location`)."""
        self.staging_dir = self.report_dir / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        """This engine's own report files (pytest's JSON, JUnit), private to its run until the
        view publishes them into `report_dir` with their summary (records.reports.publish):
        two runs at once never mix their files, and a suite that wrote none leaves none."""
        weakref.finalize(self, shutil.rmtree, self.staging_dir, ignore_errors=True)
        self.extra_env = dict(extra_env or {})
        self._runs: dict[str, SuiteRun] = {}
        self._lock = threading.Lock()
        self._generation: dict[str, int] = {}
        """Bumped by every cancel of a suite: a phase sequence of an older generation stops."""
        self._pending: set[str] = set()
        """Suites whose phase sequence has a phase still to start."""
        self.scratch = ScratchDir()
        """Argfiles and test lists for long selections; made only when one is needed."""
        self.exited = threading.Event()
        """Set whenever a suite run ends; consumers wait on it instead of polling busily."""
        root = config.root
        self.claims = ClaimWatch(root, buffer.extend, lambda: registry_dir(root))
        """What the suites' workers claim, checked for resources two live workers share."""
        self._waits: dict[str, tuple[NeedsWait, threading.Thread]] = {}
        """Suites waiting for what they `needs`, with the thread that waits."""
        self.compose_project = self.extra_env.get("COMPOSE_PROJECT_NAME", "")
        """The task's Compose project, whose services suites may need (found when needed)."""
        self.warm: WarmPool | None = None
        """Warm servers for reruns of a few tests (`enable_warm`); None: every run is cold."""

    def enable_warm(self) -> None:
        """Fork reruns of a few tests (`t`, `f`, watch's first phase) from a warm pytest per
        suite, started when a suite's run ends (or `prewarm`); `close` stops them all."""
        if self.warm is None:
            from zenboard.engine.warm import WarmPool

            self.warm = WarmPool((self.config.root,), self.suite_niceness)

    def prewarm(self, suites: Sequence[SuiteConfig]) -> None:
        """Start the warm servers of `suites` now (those that can have one), so that their
        first rerun is warm too."""
        if self.warm is None:
            return
        from zenboard.engine.warm import cold_reason

        for suite in suites:
            if suite.kind != "pytest":
                continue
            command = self._command(suite, (), "")
            probe = (*command.argv[:3], "-n", "0")
            if command.unavailable or cold_reason(probe, ("x::y",)):
                continue
            self.warm.prewarm(suite.name, command.cwd, command.env)

    def check(self, suites: tuple[SuiteConfig, ...]) -> None:
        """Refuse bad input (exit 2) before anything starts: an interpreter without pytest, a
        report dir that is a file or cannot be written."""
        try:
            self._staging_in_report_dir()
        except OSError as exc:
            why = safefs.describe(exc)
            if exc.errno == errno.EEXIST:  # made with its parents: a file stands there
                why = f"{exc.filename}: exists and is not a directory"
            raise InputError(
                f"report dir {self.report_dir}: cannot write reports there ({why})"
            ) from None
        checked: set[str | None] = set()
        for suite in suites:
            if suite.python not in checked:
                check_interpreter(suite)
                checked.add(suite.python)
            with_workers_from(suite, self.suite_env(suite))  # "$PYTEST_WORKERS" unset: exit 2
            if suite.needs:
                from zenboard.engine.needs import needed_ports, service_needs

                needed_ports(suite, self.suite_env(suite))  # unset port variables: exit 2
                if service_needs(suite):
                    self._project()

    def suite_env(self, suite: SuiteConfig) -> dict[str, str]:
        """The variables the suite's process gets, as far as its `needs` are concerned."""
        return {**inherited_environment(), **self.extra_env, **suite.env}

    def _project(self) -> str:
        """The task's Compose project name (a project without tasks: its derived task's)."""
        if not self.compose_project:
            from zenboard.tasks.identity import resolve_task

            self.compose_project = resolve_task(self.config.root).compose_project
        return self.compose_project

    def start(
        self, suite: SuiteConfig, nodeids: tuple[str, ...] = (), rootdir: str = ""
    ) -> SuiteRun | None:
        """Start `suite` (cancelling a run of it already in flight); only `nodeids` if given.

        Its run, or None while it waits for what it `needs` (it starts when that is ready)."""
        return self.start_phases(((suite, nodeids),), rootdir)

    def start_phases(self, phases: Sequence[Phase], rootdir: str = "") -> SuiteRun | None:
        """Run phases of one suite one after another, each a run of its own (watch mode: the
        failed and affected tests without xdist, then the rest). A phase may change the suite's
        workers, args or env. Cancelling the suite, or starting it again, ends the sequence.
        A suite with `needs` waits for them first (None is returned then)."""
        name = phases[0][0].name
        self.cancel(name)
        self._make_staging_dir()
        with self._lock:
            generation = self._generation.get(name, 0)
        return self._launch(phases, 0, rootdir, generation)

    def _launch(
        self, phases: Sequence[Phase], index: int, rootdir: str, generation: int
    ) -> SuiteRun | None:
        if index == 0 and phases[0][0].needs:
            self._wait_then_launch(phases, rootdir, generation)
            return None
        return self._run_phase(phases, index, rootdir, generation)

    def _wait_then_launch(self, phases: Sequence[Phase], rootdir: str, generation: int) -> None:
        """Wait on a thread of its own for the suite's `needs`, then run its first phase; an
        unmet need ends the suite as an error (exit 1), a cancel as cancelled."""
        from zenboard.engine.needs import NeedsWait

        suite = phases[0][0]
        name = suite.name
        try:
            wait = NeedsWait(suite, self.suite_env(suite), self._project(), self.buffer.extend)
        except InputError as exc:  # checked before the run; a variable changed since
            self._end_unstarted(name, str(exc))
            return

        def waiter() -> None:
            result = wait.run()
            with self._lock:
                self._waits.pop(name, None)
                superseded = self._generation.get(name, 0) != generation
            if result.cancelled or superseded:
                self._end_unstarted(name, "", cancelled=True)
            elif result.error:
                self._end_unstarted(name, result.error)
            elif self._run_phase(phases, 0, rootdir, generation) is None:  # cancelled just now
                self._end_unstarted(name, "", cancelled=True)

        thread = threading.Thread(target=waiter, name=f"needs-{name}", daemon=True)
        with self._lock:
            self._pending.add(name)
            self._waits[name] = (wait, thread)
        thread.start()

    def _end_unstarted(self, name: str, error: str, cancelled: bool = False) -> None:
        """A suite that never started (its needs unmet, or cancelled while it waited)."""
        now = time.time()
        exited = ev.SuiteExited(name, 1, now, cancelled=cancelled, error=error)
        self.buffer.extend([ev.SuiteLaunched(name, (), 0, now), exited])
        with self._lock:
            if name not in self._waits:  # a newer start may be waiting already
                self._pending.discard(name)
        self.exited.set()

    def _run_phase(
        self, phases: Sequence[Phase], index: int, rootdir: str, generation: int
    ) -> SuiteRun | None:
        suite, nodeids = phases[index]
        command = self._command(suite, nodeids, rootdir)
        last_phase = index + 1 >= len(phases)

        def on_exit(finished: SuiteRun) -> None:
            if not last_phase:
                # Safe from this short-lived waiter thread: process.spawn forks every suite
                # from the engine's long-lived spawner thread (PR_SET_PDEATHSIG).
                self._run_phase(phases, index + 1, rootdir, generation)
            self.exited.set()
            if self.warm is not None and last_phase:  # the next rerun of it forks, warm
                self.prewarm((suite,))

        run = SuiteRun(
            suite.name,
            command,
            self.buffer.extend,
            nodeids,
            on_exit,
            self.reader_niceness,
            suite.allow_empty,
            suite.suite_timeout,
            tuple(self.config.quarantine),
            self.claims,
            self.warm,
            self.suite_niceness,
        )
        with self._lock:
            # Started under the lock: a cancel either sees this run or ends the sequence.
            if self._generation.get(suite.name, 0) != generation:
                if suite.name not in self._waits:  # a newer start may be waiting already
                    self._pending.discard(suite.name)
                return None
            if last_phase:
                self._pending.discard(suite.name)
            else:
                self._pending.add(suite.name)
            self._runs[suite.name] = run
            run.start()
            if run.process is None:  # could not start: the sequence ends here
                self._pending.discard(suite.name)
        return run

    def _command(self, suite: SuiteConfig, nodeids: tuple[str, ...], rootdir: str) -> SuiteCommand:
        """The suite's command; one whose files (an argfile, a test list) could not be written
        is a suite that cannot run, one line, while the other suites go on."""
        report_file = self.staging_dir / f"{suite.name}.json"
        try:
            suite = with_workers_from(suite, self.suite_env(suite))
        except InputError as exc:  # refused by `check` before the run; the variable changed
            return SuiteCommand((), suite.cwd, {}, report_file, unavailable=str(exc))
        try:
            return build_suite_command(
                suite,
                report_file,
                nodeids,
                rootdir,
                self.scratch.path,
                self.extra_env,
                self.config.root,
            )
        except OSError as exc:
            reason = f"could not write {safefs.describe(exc)}"
            return SuiteCommand((), suite.cwd, {}, report_file, unavailable=reason)

    def start_all(self, suites: tuple[SuiteConfig, ...]) -> list[SuiteRun | None]:
        return [self.start(s) for s in suites]

    def run(self, name: str) -> SuiteRun | None:
        with self._lock:
            return self._runs.get(name)

    def running(self) -> list[str]:
        with self._lock:
            return [name for name, run in self._runs.items() if not run.done.is_set()]

    def cancel(self, name: str) -> None:
        with self._lock:
            self._generation[name] = self._generation.get(name, 0) + 1
            waiting = self._waits.get(name)
            if waiting is None:
                self._pending.discard(name)
            run = self._runs.get(name)
        if waiting is not None:  # its end (cancelled) comes before anything started after
            waiting[0].stop.set()
            waiting[1].join(10)
        if run is not None:
            run.cancel()
            run.done.wait(10)

    def cancel_all(self) -> None:
        with self._lock:
            for name in {*self._runs, *self._waits}:
                self._generation[name] = self._generation.get(name, 0) + 1
            waits = list(self._waits.values())
            runs = list(self._runs.values())
        for wait, _ in waits:
            wait.stop.set()
        for _, thread in waits:
            thread.join(10)
        with self._lock:
            self._pending.clear()
        threads = [threading.Thread(target=r.cancel, kwargs={"sweep": True}) for r in runs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in runs:
            r.done.wait(10)

    def _make_staging_dir(self) -> None:
        """The staging dir, in the report dir where it can be (publishing is then a rename);
        where the report dir cannot be written, a private temporary one, so the suites still
        run and only publishing fails (one line, never exit 0)."""
        try:
            self._staging_in_report_dir()
        except OSError:
            import tempfile

            fallback = Path(tempfile.mkdtemp(prefix="zenboard-reports-"))
            weakref.finalize(self, shutil.rmtree, fallback, ignore_errors=True)
            self.staging_dir = fallback

    def _staging_in_report_dir(self) -> None:
        """Make the report dir and this run's staging dir (0700) in it, never through a link."""
        with safefs.open_dir(self.report_dir, self.report_root) as report_fd:
            try:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(self.staging_dir.name, 0o700, dir_fd=report_fd)
                os.close(os.open(self.staging_dir.name, _PRIVATE_DIR, dir_fd=report_fd))
            except OSError as exc:  # named as the report dir: the staging dir is zenboard's own
                raise OSError(exc.errno, exc.strerror, str(self.report_dir)) from None

    def close(self) -> None:
        """Remove this engine's staging directory (after its reports were published), stop
        the claim watch's clock and the warm servers."""
        shutil.rmtree(self.staging_dir, ignore_errors=True)
        self.claims.close()
        if self.warm is not None:
            self.warm.close()

    def all_done(self) -> bool:
        with self._lock:
            return not self._pending and all(run.done.is_set() for run in self._runs.values())
