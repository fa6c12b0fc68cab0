"""A thread-safe hand-off of events from engine threads to one consumer.

Producers (pipe readers, output readers, process waiters) append; the consumer (the headless
loop, or the Textual app on a timer) drains everything at once and folds it into the model.
Batching here, on the consumer's clock, is what keeps a UI responsive under thousands of events
a second: there is never a callback per event into the UI thread.
"""

from __future__ import annotations

import threading

from zenboard.model.events import Event


class EventBuffer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[Event] = []
        self._ready = threading.Event()

    def put(self, event: Event) -> None:
        with self._lock:
            self._events.append(event)
        self._ready.set()

    def extend(self, events: list[Event]) -> None:
        if not events:
            return
        with self._lock:
            self._events.extend(events)
        self._ready.set()

    def wake(self) -> None:
        """End a `wait` without an event: something else is waiting for its consumer (a watch
        trigger must start its reruns now, not at the consumer's next poll)."""
        self._ready.set()

    def drain(self) -> list[Event]:
        with self._lock:
            events, self._events = self._events, []
            self._ready.clear()
        return events

    def wait(self, timeout: float) -> bool:
        """Block until something was put (or the timeout passed); True if events are waiting."""
        return self._ready.wait(timeout)
