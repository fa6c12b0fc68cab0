"""Headless watch mode: a `HeadlessRun` kept going, rerunning what each change affects.

The run folds, prints and publishes as `zenboard run` does; a `WatchSession` hands over one
`WatchTrigger` per quiet batch of changes, printed as one `watch: ...` line and started as phase
sequences (`Engine.start_phases`). Ctrl+C (or `stop()`) cancels what runs and returns 0.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable

from zenboard.config import ProjectConfig, SuiteConfig
from zenboard.headless.run import HeadlessRun, RunOptions
from zenboard.model import events as ev
from zenboard.model.state import RunState
from zenboard.watch.session import WatchSession, WatchTrigger
from zenboard.watch.settings import WatchSettings

POLL_SECONDS = 0.05
READY_TIMEOUT = 60.0
"""Longest wait for the watcher to arm (it scans the import graph first) before going on."""


class HeadlessWatch:
    """Watches the project and reruns affected suites until interrupted; `run()` returns 0.

    A `HeadlessRun` does the folding, printing and publishing (`view`); this adds the watcher
    and the loop that never ends by itself.
    """

    def __init__(
        self,
        config: ProjectConfig,
        suites: tuple[SuiteConfig, ...],
        settings: WatchSettings,
        options: RunOptions = RunOptions(),  # noqa: B008  # frozen: one shared default is safe
        initial_run: bool = True,
        on_event: Callable[[ev.Event | WatchTrigger], None] | None = None,
    ) -> None:
        """
        Args:
            config: the project's configuration.
            suites: the suites watched (and run first, with `initial_run`).
            settings: the watched paths and the quiet window (`[tool.zenboard.watch]`).
            options: how the runs run and print, as for `zenboard run`.
            initial_run: run every suite once at the start.
            on_event: observer of the timeline: every event consumed, each trigger before its
                runs (the tests and the benchmark read it).
        """
        self.view = HeadlessRun(config, suites, options)
        self.config = config
        self.suites = suites
        self.settings = settings
        self.initial_run = initial_run
        self._on_event = on_event
        self._triggers: queue.Queue[WatchTrigger] = queue.Queue()
        self._errors: queue.Queue[str] = queue.Queue()
        self._stopped = threading.Event()
        self.triggers: list[WatchTrigger] = []
        """Every trigger handled so far, in order (what the `watch:` lines said)."""
        self.session = WatchSession(
            config,
            self._triggered,
            settings=settings,
            suites=suites,
            ignore_paths=(self.view.engine.report_dir,),
            on_error=self._errors.put,
        )

    def _triggered(self, trigger: WatchTrigger) -> None:
        """On the watcher's thread: queue the trigger and wake the loop, which starts it."""
        self._triggers.put(trigger)
        self.view.buffer.wake()

    @property
    def state(self) -> RunState:
        return self.view.state

    def stop(self) -> None:
        """Ask the loop to end (from any thread)."""
        self._stopped.set()

    def run(self) -> int:
        view, engine = self.view, self.view.engine
        engine.check(self.suites)
        on_main = threading.current_thread() is threading.main_thread()
        with view.interruptible() if on_main else contextlib.nullcontext():
            try:
                self.session.start()
                self.session.ready.wait(READY_TIMEOUT)
                paths = self.settings.shown_paths(self.config.root)
                view.print(
                    f"watch: watching {paths} (quiet {self.settings.quiet_ms} ms); Ctrl+C stops"
                )
                engine.enable_warm()  # reruns fork a warm pytest (engine/warm.py)
                if self.initial_run:
                    engine.start_all(self.suites)
                else:
                    engine.prewarm(self.suites)
                # Output nobody reads any more (`zenboard watch | head`) ends it like Ctrl+C.
                while not (self._stopped.is_set() or view.interrupted or view.output_closed):
                    view.buffer.wait(POLL_SECONDS)
                    self._consume(view.buffer.drain())
                    self._rerun_triggered()
                    self._print_errors()
                    view.print_progress(final=False)
            finally:
                self.session.stop()
                engine.cancel_all()
                self._consume(view.buffer.drain())
        view.print_progress(final=True)
        view.publish_reports(announce=False)
        engine.close()
        view.print("watch: stopped")
        return 0

    def _consume(self, events: list[ev.Event]) -> None:
        self.view.consume(events)
        for event in events:
            if isinstance(event, ev.SuiteExited):
                self.session.record(self.view.state.suites[event.suite])
                self.view.publish_reports(announce=False)
            if self._on_event is not None:
                self._on_event(event)

    def _rerun_triggered(self) -> None:
        while True:
            try:
                trigger = self._triggers.get_nowait()
            except queue.Empty:
                return
            self.triggers.append(trigger)
            self.view.print(trigger.describe())
            if self._on_event is not None:
                self._on_event(trigger)
            for phases, rootdir in trigger.runs(self.config.suite):
                self.view.engine.start_phases(phases, rootdir)

    def _print_errors(self) -> None:
        while True:
            try:
                self.view.print(f"watch: {self._errors.get_nowait()}")
            except queue.Empty:
                return

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Block until the watcher is armed (for tests and the benchmark)."""
        deadline = time.monotonic() + timeout
        while not self.session.active and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.session.ready.wait(max(0.0, deadline - time.monotonic()))
