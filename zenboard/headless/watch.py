"""Headless watch mode: the headless view of `HeadlessRun`, rerunning what each change affects.

It is a `HeadlessRun` whose loop never ends by itself: the same consumer folds the engine's
events into the same model and prints the same progress lines, failures and crashes, and a
`WatchSession` hands over one `WatchTrigger` per quiet batch of changes, which is printed as
exactly one `watch: ...` line and started as phase sequences (`Engine.start_phases`), cancelling
any run of those suites in flight. Ctrl+C (or `stop()`) cancels what runs and returns 0.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from zenboard.config import ProjectConfig, SuiteConfig
from zenboard.headless.run import HeadlessRun
from zenboard.model import events as ev
from zenboard.watch.plan import phase_suite
from zenboard.watch.session import WatchSession, WatchTrigger
from zenboard.watch.settings import WatchSettings

POLL_SECONDS = 0.05
READY_TIMEOUT = 60.0
"""Longest wait for the watcher to arm (it scans the import graph first) before going on."""


class HeadlessWatch(HeadlessRun):
    """Watches the project and reruns affected suites until interrupted; `run()` returns 0."""

    def __init__(
        self,
        config: ProjectConfig,
        suites: tuple[SuiteConfig, ...],
        settings: WatchSettings,
        report_dir: Path | None = None,
        ci: bool = False,
        out: TextIO | None = None,
        extra_env: dict[str, str] | None = None,
        initial_run: bool = True,
        on_event: Callable[[ev.Event | WatchTrigger], None] | None = None,
    ) -> None:
        super().__init__(config, suites, report_dir=report_dir, ci=ci, out=out, extra_env=extra_env)
        self.settings = settings
        self.initial_run = initial_run
        self._on_event = on_event
        """Observer of the timeline: every event consumed, and each trigger before its runs."""
        self._triggers: queue.Queue[WatchTrigger] = queue.Queue()
        self._errors: queue.Queue[str] = queue.Queue()
        self._stopped = threading.Event()
        self.triggers: list[WatchTrigger] = []
        """Every trigger handled so far, in order (what the `watch:` lines said)."""
        self.session = WatchSession(
            config,
            self._triggers.put,
            settings=settings,
            suites=suites,
            ignore_paths=(self.engine.report_dir,),
            on_error=self._errors.put,
        )

    def stop(self) -> None:
        """Ask the loop to end (from any thread)."""
        self._stopped.set()

    def run(self) -> int:
        self.engine.check(self.suites)
        on_main = threading.current_thread() is threading.main_thread()
        restore = self._install_signal_handlers() if on_main else (lambda: None)
        try:
            self.session.start()
            self.session.ready.wait(READY_TIMEOUT)
            paths = ", ".join(self._shown(p) for p in self.settings.paths)
            self.print(f"watch: watching {paths} (quiet {self.settings.quiet_ms} ms); Ctrl+C stops")
            if self.initial_run:
                self.engine.start_all(self.suites)
            # Output nobody reads any more (`zenboard watch | head`) ends a watch like Ctrl+C.
            while not (self._stopped.is_set() or self._interrupted or self._out_closed):
                self.buffer.wait(POLL_SECONDS)
                self._consume(self.buffer.drain())
                self._rerun_triggered()
                self._print_errors()
                self._print_progress(final=False)
        finally:
            self.session.stop()
            self.engine.cancel_all()
            self._consume(self.buffer.drain())
            restore()
        self._print_progress(final=True)
        self._publish_or_say(announce=False)
        self.engine.close()
        self.print("watch: stopped")
        return 0

    def _consume(self, events: list[ev.Event]) -> None:
        super()._consume(events)
        for event in events:
            if isinstance(event, ev.SuiteExited):
                self.session.record(self.state.suites[event.suite])
                self._publish_or_say(announce=False)
            if self._on_event is not None:
                self._on_event(event)

    def _rerun_triggered(self) -> None:
        while True:
            try:
                trigger = self._triggers.get_nowait()
            except queue.Empty:
                return
            self.triggers.append(trigger)
            self.print(trigger.describe())
            if self._on_event is not None:
                self._on_event(trigger)
            for plan in trigger.plan:
                suite = self.config.suite(plan.suite)
                phases = [(phase_suite(suite, p), p.nodeids) for p in plan.phases]
                self.engine.start_phases(phases, plan.rootdir)

    def _print_errors(self) -> None:
        while True:
            try:
                self.print(f"watch: {self._errors.get_nowait()}")
            except queue.Empty:
                return

    def _shown(self, path: Path) -> str:
        try:
            return path.relative_to(self.config.root).as_posix() or "."
        except ValueError:
            return str(path)

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Block until the watcher is armed (for tests and the benchmark)."""
        deadline = time.monotonic() + timeout
        while not self.session.active and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.session.ready.wait(max(0.0, deadline - time.monotonic()))
