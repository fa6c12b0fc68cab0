"""One long-lived thread that carries out the dashboard's engine commands, in order.

Why not a Textual thread worker per command: the engine starts each suite with
PR_SET_PDEATHSIG, and Linux delivers that signal when the *thread* that spawned the child exits,
not the process. A suite started from a short-lived worker thread would be killed the moment the
worker returned. This thread lives as long as the app, so suites live as long as the app, and die
with it if the app is killed outright. Commands queue here instead of blocking the event loop
(`Engine.start` first cancels a run in flight, which can take seconds).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

Command = Callable[[], None]


class Commander:
    def __init__(self, on_error: Callable[[BaseException], None] | None = None) -> None:
        self._queue: queue.SimpleQueue[Command | None] = queue.SimpleQueue()
        self._on_error = on_error
        self._closed = False
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._loop, name="zenboard-commander", daemon=True)
        self._thread.start()

    @property
    def closed(self) -> bool:
        return self._closed

    def submit(self, command: Command) -> bool:
        """Queue `command`; False (and nothing queued) once the commander is closed."""
        if self._closed:
            return False
        self._idle.clear()
        self._queue.put(command)
        return True

    def wait_idle(self, timeout: float) -> bool:
        """Block until every queued command has run (for tests and orderly shutdown)."""
        return self._idle.wait(timeout)

    def close(self) -> None:
        """Refuse new commands and drop queued ones: a start queued behind a quit must not run."""
        self._closed = True
        self._queue.put(None)

    def join(self, timeout: float) -> None:
        """After `close`, wait for the command in progress (a start must not outlive quit)."""
        self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            command = self._queue.get()
            if command is None:
                self._idle.set()
                return
            if not self._closed:
                try:
                    command()
                except Exception as exc:  # a fault is shown, never fatal
                    if self._on_error is not None:
                        self._on_error(exc)
            if self._queue.empty():
                self._idle.set()
