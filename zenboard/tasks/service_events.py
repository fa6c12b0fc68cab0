"""What the task's containers did, and when: the events a failing test's window is checked for.

Docker's event stream (followed by `ContainerWatcher`) says when a container's health flipped,
when it started, stopped, restarted, died (with its exit code) or was OOM-killed, stamped by
the daemon to the nanosecond. Those are kept here, a bounded number, so a failure's details and
`run --ci` can show the ones within the test's window (`WINDOW_MARGIN` either side): "my code,
or the database?". Names and words come from the daemon and the containers' labels: whoever
shows them spells control characters out.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from zenboard.tasks.containers import SERVICE_LABEL

KEPT = 10_000
"""Events kept per task (the oldest go first): hours of a flapping service."""
WINDOW_MARGIN = 1.0
"""Seconds before a test's start and after its end that still count as its window."""
ACTIONS = ("health_status", "start", "stop", "restart", "die", "oom")


@dataclass(frozen=True, slots=True)
class ServiceEvent:
    time: float
    """When the daemon says it happened (epoch seconds)."""
    service: str
    container: str
    """The container's name."""
    action: str
    """health_status, start, stop, restart, die or oom."""
    detail: str = ""
    """The new health (`unhealthy`), or the exit code of a `die`."""

    def text(self) -> str:
        """`postgres health: unhealthy`, `postgres died (exit 137)`, `postgres restarted`."""
        who = self.service or self.container
        if self.action == "health_status":
            return f"{who} health: {self.detail}"
        if self.action == "die":
            return f"{who} died (exit {self.detail})" if self.detail else f"{who} died"
        if self.action == "oom":
            return f"{who} OOM-killed (out of memory)"
        words = {"start": "started", "stop": "stopped", "restart": "restarted"}
        return f"{who} {words.get(self.action, self.action)}"


def from_docker(event: dict[str, Any]) -> ServiceEvent | None:
    """The `ServiceEvent` of one decoded Docker event; None for the kinds not kept."""
    raw = str(event.get("Action") or event.get("status") or "")
    action, _, rest = raw.partition(":")
    if event.get("Type", "container") != "container" or action not in ACTIONS:
        return None
    actor = event.get("Actor") or {}
    attributes = actor.get("Attributes") or {}
    nanos = event.get("timeNano")
    when = int(nanos) / 1e9 if isinstance(nanos, int) else float(event.get("time") or 0)
    detail = rest.strip() if action == "health_status" else ""
    if action == "die":
        detail = str(attributes.get("exitCode", ""))
    return ServiceEvent(
        time=when,
        service=str(attributes.get(SERVICE_LABEL, "")),
        container=str(attributes.get("name", "")),
        action=action,
        detail=detail,
    )


def window(started: float | None, finished: float | None, duration: float) -> tuple[float, float]:
    """A test's window: from its start to its end, `WINDOW_MARGIN` either side. Its start,
    when unknown, is its end less its duration."""
    end = finished if finished is not None else (started or 0.0) + duration
    start = started if started is not None else end - duration
    return start - WINDOW_MARGIN, end + WINDOW_MARGIN


class ServiceEventLog:
    """The latest `KEPT` events, appended from the watcher's thread, read from any other."""

    def __init__(self, kept: int = KEPT) -> None:
        self._events: deque[ServiceEvent] = deque(maxlen=kept)
        self._lock = threading.Lock()

    def add(self, event: ServiceEvent) -> None:
        with self._lock:
            self._events.append(event)

    def between(self, since: float, until: float) -> list[ServiceEvent]:
        """The events in [since, until], oldest first."""
        with self._lock:
            found = [e for e in self._events if since <= e.time <= until]
        return sorted(found, key=lambda e: e.time)
