"""`run --ci`'s lines for the task's services beside its failures: "my code, or the database?".

While the suites run, a `ContainerWatcher` of the task's Compose project records what its
containers do (health flips, restarts, exits, OOM kills; `service_events`). At the end, each
failure whose window (its start to its end, a second either side) holds such events gets them
below its name. Bounded: the first `FAILURES_SHOWN` failures with events, `EVENTS_SHOWN` events
each. Only in a project with tasks; without Docker nothing is said here (the run says nothing
else about Docker either).
"""

from __future__ import annotations

from collections.abc import Iterator

from zenboard.model.state import RunState
from zenboard.tasks.beside import beside
from zenboard.tasks.docker_watch import ContainerWatcher
from zenboard.tasks.service_events import window

FAILURES_SHOWN = 20
EVENTS_SHOWN = 10


def watch_services(project: str | None) -> ContainerWatcher | None:
    """A started watcher of the task's containers (None: the run has no task)."""
    return ContainerWatcher(project).start() if project else None


def failure_service_lines(state: RunState, watcher: ContainerWatcher) -> Iterator[str]:
    """`services during failures:` then, per failure with events, its id and the events."""
    shown = 0
    for suite in state.suites.values():
        for test in suite.tests.values():
            if not test.failed or test.finished_at is None or test.quarantined:
                continue
            since, until = window(test.started_at, test.finished_at, test.duration)
            found = beside(watcher, since, until, with_logs=False)
            if not found.events:
                continue
            if shown == 0:
                yield "services during failures (from a second before each test to a second after):"
            shown += 1
            if shown > FAILURES_SHOWN:
                yield f"  (no more after {FAILURES_SHOWN} failures)"
                return
            yield f"  [{suite.name}] {test.nodeid}"
            for _, line, _ in found.lines()[:EVENTS_SHOWN]:
                yield f"    {line}"
            if len(found.events) > EVENTS_SHOWN:
                yield f"    ... and {len(found.events) - EVENTS_SHOWN} more"
