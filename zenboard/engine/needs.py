"""A suite's `needs`: wait, bounded, until its services are healthy and its ports answer.

`needs = ["postgres", "port:BACKEND_PORT"]`: each service of the task's Compose project must be
ready (running and healthy, or running without a health check; see tasks/compose/health.py),
and each port (the number in the suite's variable, from `.env.task`, its `env` or the
environment) must accept a connection on localhost. The wait follows Docker's event stream
and tries the ports every `PORT_EVERY` seconds; it says where it stands (`SuiteWaiting`)
when that changes and once a second. It ends when all is ready, after `needs_timeout` seconds
(an error naming what was not ready, with each service's last health check), when Docker is
unavailable and a service is needed (an error at once: `docker unavailable: <reason>`), or
when the suite is cancelled. It never fails early on an unhealthy or exited service: one
restarted meanwhile (from the dashboard, by `zenboard up`) still counts.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from zenboard.config import PORT_NEED, SuiteConfig
from zenboard.errors import InputError
from zenboard.model import events as ev
from zenboard.tasks.compose.health import ServiceState, service_states
from zenboard.tasks.docker_watch import ContainerWatcher
from zenboard.textsafe import visible

PORT_EVERY = 0.5
"""Seconds between two tries of a needed port."""
CONNECT_SECONDS = 0.5
CONNECTING = "connecting to Docker"


def port_needs(suite: SuiteConfig) -> list[str]:
    return [n[len(PORT_NEED) :] for n in suite.needs if n.startswith(PORT_NEED)]


def service_needs(suite: SuiteConfig) -> list[str]:
    return [n for n in suite.needs if not n.startswith(PORT_NEED)]


def needed_ports(suite: SuiteConfig, env: Mapping[str, str]) -> dict[str, int]:
    """Variable -> port for the suite's port needs; InputError (exit 2) when one is unset."""
    ports: dict[str, int] = {}
    for variable in port_needs(suite):
        value = env.get(variable, "")
        if not value.isdigit() or not 1 <= int(value) <= 65535:
            said = f"is {value!r}" if value else "is not set"
            raise InputError(
                f"suite {suite.name} needs port:{variable}, but {variable} {said} (a port "
                "number is expected in .env.task, the suite's env or the environment)"
            )
        ports[variable] = int(value)
    return ports


def services_known(states: dict[str, ServiceState]) -> bool:
    """Docker has answered: the states say where the services are, not that it is connecting."""
    return not any(s.text == CONNECTING for s in states.values())


def accepts(port: int) -> bool:
    """Something on this machine accepts a connection on `port` (IPv4 or IPv6 localhost)."""
    try:
        with socket.create_connection(("localhost", port), timeout=CONNECT_SECONDS):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class NeedsResult:
    error: str = ""
    """Why the suite cannot start ("" when everything it needs is ready)."""
    cancelled: bool = False


class NeedsWait:
    """One wait for one suite's needs; `run()` blocks (on the engine's waiter thread)."""

    def __init__(
        self,
        suite: SuiteConfig,
        env: Mapping[str, str],
        project: str,
        emit: Callable[[list[ev.Event]], None],
        host: str | None = None,
    ) -> None:
        self.suite = suite
        self.ports = needed_ports(suite, env)
        self.services = service_needs(suite)
        self.project = project
        self.emit = emit
        self.host = host
        self.stop = threading.Event()
        """Set by a cancel of the suite: the wait ends at once."""

    def run(self) -> NeedsResult:
        watcher = ContainerWatcher(self.project, host=self.host) if self.services else None
        try:
            if watcher is not None:
                watcher.start()
            return self._wait(watcher)
        finally:
            if watcher is not None:
                watcher.close()

    def _wait(self, watcher: ContainerWatcher | None) -> NeedsResult:
        started = time.monotonic()
        said: tuple[str, int] | None = None
        while True:
            waited = time.monotonic() - started
            services: dict[str, ServiceState] = {}
            if watcher is not None:
                snapshot = watcher.snapshot()
                if not snapshot.docker.available and snapshot.docker.reason != "connecting":
                    needed = ", ".join(self.services)
                    reason = visible(snapshot.docker.reason)
                    return NeedsResult(f"docker unavailable: {reason} (it needs {needed})")
                if snapshot.docker.available:
                    services = service_states(snapshot, self.services)
                else:
                    services = {s: ServiceState(s, CONNECTING) for s in self.services}
            ports = {variable: accepts(port) for variable, port in self.ports.items()}
            pending = [visible(f"{s.service}: {s.text}") for s in services.values() if not s.ready]
            pending += [
                f"port:{variable} ({self.ports[variable]}): refused"
                for variable, ok in ports.items()
                if not ok
            ]
            if not pending:
                return NeedsResult()
            if self.stop.is_set():
                return NeedsResult(cancelled=True)
            if waited >= self.suite.needs_timeout:
                return NeedsResult(self._timed_out(services, pending, waited))
            text = ", ".join(pending)
            connecting = watcher is not None and not services_known(services)
            if (text, int(waited)) != said and not (connecting and waited < 1.0):
                said = (text, int(waited))
                self.emit([ev.SuiteWaiting(self.suite.name, text, waited)])
            if watcher is not None and not self.ports:
                version = watcher.snapshot().version
                watcher.wait_for(lambda s, v=version: s.version != v, 0.5)  # type: ignore[misc]
            else:
                self.stop.wait(PORT_EVERY)

    def _timed_out(
        self, services: dict[str, ServiceState], pending: list[str], waited: float
    ) -> str:
        parts = []
        for item in pending:
            name = item.split(":", 1)[0]
            state = services.get(name)
            view = state.container if state is not None else None
            if view is not None and view.last_health_output:
                check = " ".join(view.last_health_output.split())[:200]
                item += f" (last check: {visible(check)})"
            parts.append(item)
        return f"waited {waited:.0f} s for what it needs: {'; '.join(parts)}"
