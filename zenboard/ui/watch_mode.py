"""Watch mode in the dashboard: a `WatchSession` whose reruns go through the session's commander.

The watcher thread hands each trigger over here; the runs are started on the session's
commander thread (so they queue in order with the person's own commands and never block the
event loop, see `commander.py`; the engine forks every suite from its own spawner thread), and
the trigger is kept for the app's next tick, which shows which files caused the rerun and which
suites it chose. The app tells
this object about every fold so the watcher knows each suite's latest tests and failures.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import TYPE_CHECKING

from zenboard.engine.engine import Phase
from zenboard.ui.session import Batch, Session

if TYPE_CHECKING:  # imported on `w`: the dashboard's first frame does without them
    from zenboard.watch.session import WatchSession, WatchTrigger


class WatchMode:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.watcher: WatchSession | None = None
        self._pending: list[WatchTrigger] = []
        self._lock = threading.Lock()
        self.errors: list[str] = []
        """Faults of the watcher thread, for the app to show (never fatal)."""

    @property
    def on(self) -> bool:
        return self.watcher is not None

    def start(self) -> str:
        """Start watching (raises InputError on bad watch settings); returns what is watched."""
        from zenboard.watch.session import WatchSession
        from zenboard.watch.settings import load_watch_settings

        session = self.session
        settings = load_watch_settings(session.config)
        watcher = WatchSession(
            session.config,
            self._triggered,
            settings=settings,
            suites=session.suites,
            ignore_paths=(session.report_dir,),
            on_error=self.errors.append,
        )
        for suite in session.state.suites.values():
            if suite.runs:
                watcher.record(suite)
        watcher.start()
        self.watcher = watcher
        return settings.shown_paths(session.config.root)

    def stop(self) -> None:
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            watcher.stop()

    def after_fold(self, batch: Batch) -> list[WatchTrigger]:
        """Tell the watcher what ended; return the triggers handled since the last call."""
        watcher = self.watcher
        if watcher is not None:
            for name in batch.exited:
                watcher.record(self.session.state.suites[name])
        with self._lock:
            triggers, self._pending = self._pending, []
        return triggers

    def _triggered(self, trigger: WatchTrigger) -> None:  # on the watcher thread
        with self._lock:
            self._pending.append(trigger)
        for phases, rootdir in trigger.runs(self.session.suite_config):
            self.session.commander.submit(partial(self._start, phases, rootdir))

    def _start(self, phases: list[Phase], rootdir: str) -> None:
        if self.watcher is not None and not self.session.commander.closed:
            self.session.engine.start_phases(phases, rootdir)
