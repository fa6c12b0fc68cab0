"""Is a service ready? One judgement for `zenboard up`, suites' `needs` and the dashboard.

A service is ready when each of its containers runs and is `healthy`, or runs without a health
check. It has failed when a container turned `unhealthy`, exited or died: waiting longer would
not help (Docker marks a container unhealthy only after its check's `retries` in a row, past its
`start_period`). Anything else (`starting`, no container yet, `created`, `restarting`) is still
coming. `wait_for_services` follows a `ContainerWatcher` (Docker's event stream) to a verdict
within a deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from zenboard.tasks.containers import ContainerSnapshot, ContainerView
from zenboard.tasks.docker_watch import ContainerWatcher, last_log_lines
from zenboard.textsafe import visible

LOG_LINES = 3
"""Log lines a failure line quotes (the container's last ones)."""
CHECK_CHARS = 200
"""Longest health check output or log line quoted (the rest is `docker logs`'s)."""


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= CHECK_CHARS else text[: CHECK_CHARS - 1] + "…"


@dataclass(frozen=True)
class ServiceState:
    service: str
    text: str
    """`healthy`, `running` (no health check), `starting`, `unhealthy`, `exited (code 1)`,
    `no container`..."""
    ready: bool = False
    failed: bool = False
    container: ContainerView | None = None
    """The container the text is about (the worst of the service's)."""


def _judge(view: ContainerView) -> tuple[int, str]:
    """(rank, text) of one container: 0 ready, 1 coming, 2 failed."""
    if view.state in ("exited", "dead"):
        return 2, f"{view.state} (code {view.exit_code})"
    if view.health == "unhealthy":
        return 2, "unhealthy"
    if view.state != "running":
        return 1, view.state
    if view.health == "starting":
        return 1, "starting"
    return 0, "healthy" if view.health == "healthy" else "running"


def service_states(snapshot: ContainerSnapshot, services: Sequence[str]) -> dict[str, ServiceState]:
    """Each of `services` as the snapshot shows it (by Compose's service label)."""
    states: dict[str, ServiceState] = {}
    for service in services:
        views = [c for c in snapshot.containers if c.service == service]
        if not views:
            states[service] = ServiceState(service, "no container")
            continue
        rank, text, worst = max(((*_judge(v), v) for v in views), key=lambda t: t[0])
        states[service] = ServiceState(service, text, rank == 0, rank == 2, worst)
    return states


def progress_text(states: dict[str, ServiceState]) -> str:
    """`db starting, web healthy`: each service and where it is."""
    return ", ".join(f"{visible(s.service)} {visible(s.text)}" for s in states.values())


@dataclass(frozen=True)
class WaitOutcome:
    verdict: str
    """ready | failed | timeout | unavailable | stopped."""
    states: dict[str, ServiceState]
    seconds: float
    reason: str = ""
    """Why Docker is unavailable (verdict `unavailable`)."""

    @property
    def ready(self) -> bool:
        return self.verdict == "ready"


def wait_for_services(
    watcher: ContainerWatcher,
    services: Sequence[str],
    timeout: float,
    on_change: Callable[[dict[str, ServiceState], float], None] | None = None,
    stop: threading.Event | None = None,
    fail_fast: bool = True,
) -> WaitOutcome:
    """Wait until every one of `services` is ready, one has failed, or `timeout` passes.

    Args:
        watcher: A started watcher of the task's Compose project.
        services: The services to wait for.
        timeout: Seconds to wait at most.
        on_change: Called with the states and the seconds waited when they change, and at
            least once a second while waiting (on the caller's thread).
        stop: Set from another thread to stop waiting (verdict `stopped`).
        fail_fast: End at once when a service has failed (else wait through it).
    """
    started = time.monotonic()
    shown: tuple[str, int] | None = None
    while True:
        snapshot = watcher.snapshot()
        elapsed = time.monotonic() - started
        if not snapshot.docker.available and snapshot.docker.reason != "connecting":
            return WaitOutcome("unavailable", {}, elapsed, snapshot.docker.reason)
        states = service_states(snapshot, services) if snapshot.docker.available else {}
        if states and all(s.ready for s in states.values()):
            return WaitOutcome("ready", states, elapsed)
        if fail_fast and any(s.failed for s in states.values()):
            return WaitOutcome("failed", states, elapsed)
        if elapsed >= timeout:
            return WaitOutcome("timeout", states, elapsed)
        if stop is not None and stop.is_set():
            return WaitOutcome("stopped", states, elapsed)
        key = (progress_text(states), int(elapsed))
        if on_change is not None and states and key != shown:
            shown = key
            on_change(states, elapsed)
        version = snapshot.version
        watcher.wait_for(
            lambda s, v=version: s.version != v,  # type: ignore[misc]
            min(0.5, max(0.0, timeout - elapsed)),
        )


def failure_line(state: ServiceState, seconds: float, host: str | None = None) -> str:
    """One line: the service, how it failed, its last health check output and log lines."""
    parts = [f"{visible(state.service)} is {visible(state.text)} after {seconds:.0f} s"]
    view = state.container
    if view is not None and view.last_health_output:
        parts.append(f"last check: {visible(_short(view.last_health_output))}")
    if view is not None:
        lines = last_log_lines(view.id, LOG_LINES, host)
        if lines:
            quoted = " | ".join(visible(_short(line)) for line in lines)
            parts.append(f"last log lines: {quoted}")
        else:
            parts.append("no log lines")
    return "; ".join(parts)
