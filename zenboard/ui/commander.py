"""One long-lived thread that carries out the dashboard's engine commands, in order.

Engine commands can block for seconds (`Engine.start` first cancels a run in flight, and a
cancel waits for the process tree to go), so they must not run on the event loop; queueing them
on one thread also keeps them in the order the user pressed the keys. (The engine itself forks
every suite from its own long-lived spawner thread, so which thread submits does not matter for
the processes' lifetime.)"""

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
