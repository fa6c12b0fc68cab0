"""The task's services beside a failure: what its containers did and logged in the test's window.

Events come from the watcher's log (`service_events`, recorded live as Docker reports them);
log lines are asked of Docker once, for the window only, per container (`logs_between`), so
nothing is kept of the logs in between. Both are bounded: a chatty service shows its last lines
of the window, and the caller shows them spelled out (untrusted).
"""

from __future__ import annotations

from dataclasses import dataclass

from zenboard.tasks.container_logs import LogLine, clock_text, logs_between
from zenboard.tasks.docker_watch import ContainerWatcher
from zenboard.tasks.service_events import ServiceEvent

LOG_LINES_PER_CONTAINER = 30
EVENTS_SHOWN = 50


@dataclass(frozen=True, slots=True)
class Beside:
    since: float
    until: float
    events: tuple[ServiceEvent, ...] = ()
    logs: tuple[tuple[str, LogLine], ...] = ()
    """(service, line), oldest first."""

    def lines(self) -> list[tuple[float, str, bool]]:
        """(time, `10:14:03.123  postgres health: unhealthy`, is an event), oldest first: the
        events, and the log lines as `postgres | text`."""
        rows = [(e.time, f"{clock_text(e.time)}  {e.text()}", True) for e in self.events]
        rows += [
            (line.time, f"{clock_text(line.time)}  {s} | {line.text}", False)
            for s, line in self.logs
        ]
        return sorted(rows, key=lambda row: row[0])


def beside(
    watcher: ContainerWatcher, since: float, until: float, *, with_logs: bool = True
) -> Beside:
    """What the watcher's project did in [since, until], and (with `with_logs`) what it logged."""
    events = tuple(watcher.events.between(since, until)[-EVENTS_SHOWN:])
    logs: list[tuple[str, LogLine]] = []
    if with_logs:
        for container in watcher.snapshot().containers:
            found = logs_between(
                container.id, since, until, host=watcher.host, limit=LOG_LINES_PER_CONTAINER
            )
            logs += [(container.service or container.name, line) for line in found]
    return Beside(since, until, events, tuple(sorted(logs, key=lambda pair: pair[1].time)))
