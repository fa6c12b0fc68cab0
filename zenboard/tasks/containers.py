"""A task's containers as plain data: what `docker inspect` says, checked against its ports.

Containers belong to a task through Compose's `com.docker.compose.project` label. This module
turns one container's inspect data into a `ContainerView` and reads a whole project once;
`docker_watch.ContainerWatcher` keeps such a snapshot live. Both the headless `status` and the
dashboard use these dataclasses, so the two views cannot disagree.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
HEALTH_STATES = ("starting", "healthy", "unhealthy", "none")


@dataclass(frozen=True)
class PortBinding:
    container_port: int
    protocol: str
    host_ip: str
    host_port: int


@dataclass(frozen=True)
class ContainerView:
    """One container of the task, as the dashboard and `status` show it."""

    id: str
    name: str
    service: str
    state: str
    """Docker's word: created, running, restarting, exited, paused, dead."""
    health: str
    """starting | healthy | unhealthy | none (no health check)."""
    failing_streak: int
    last_health_output: str
    restarts: int
    exit_code: int
    ports: tuple[PortBinding, ...]
    ports_ok: bool | None
    """True when every port the task assigned to this container is published on the task's
    host port; False on a mismatch (another host port, or not published at all); None when
    there is nothing to compare (the task assigned this container no port)."""

    @property
    def is_problem(self) -> bool:
        """Unhealthy, or no longer running (what `status --check` fails on)."""
        return self.health == "unhealthy" or self.state in {"exited", "dead"}

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "service": self.service,
            "state": self.state,
            "health": self.health,
            "restarts": self.restarts,
            "ports_ok": self.ports_ok,
            "id": self.id[:12],
            "exit_code": self.exit_code,
            "failing_streak": self.failing_streak,
            "last_health_output": self.last_health_output,
            "ports": [
                {
                    "container": f"{p.container_port}/{p.protocol}",
                    "host_ip": p.host_ip,
                    "host": p.host_port,
                }
                for p in self.ports
            ],
        }


@dataclass(frozen=True)
class DockerStatus:
    available: bool
    reason: str = ""
    """Why docker is unavailable (empty when it is available)."""


@dataclass(frozen=True)
class ContainerSnapshot:
    """Everything known about a project's containers at one moment."""

    project: str
    docker: DockerStatus
    containers: tuple[ContainerView, ...] = ()
    version: int = 0
    """Grows by one whenever something visible changed (cheap change detection for a UI timer)."""
    taken_at: float = field(default_factory=time.time)

    def host_ports(self) -> set[int]:
        return {p.host_port for c in self.containers for p in c.ports}

    def problems(self) -> tuple[ContainerView, ...]:
        return tuple(c for c in self.containers if c.is_problem)


@dataclass(frozen=True)
class ExpectedPorts:
    """The task's assignment: service -> container port, and service -> host port."""

    services: dict[str, int] = field(default_factory=dict)
    assigned: dict[str, int] = field(default_factory=dict)

    def for_container(self, service: str, container_ports: set[int]) -> dict[int, int]:
        """Container port -> the host port it must be published on, for this container."""
        if service in self.services and service in self.assigned:
            return {self.services[service]: self.assigned[service]}
        return {
            cport: self.assigned[name]
            for name, cport in self.services.items()
            if cport in container_ports and name in self.assigned
        }


def view_from_inspect(attrs: dict[str, Any], expected: ExpectedPorts) -> ContainerView:
    """A ContainerView from `docker inspect` data (the same dict the SDK returns)."""
    state = attrs.get("State") or {}
    health = state.get("Health") or {}
    log = health.get("Log") or []
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    ports = _bindings(attrs)
    service = labels.get(SERVICE_LABEL, "")
    want = expected.for_container(service, {p.container_port for p in ports})
    published: dict[int, set[int]] = {}
    for p in ports:
        published.setdefault(p.container_port, set()).add(p.host_port)
    return ContainerView(
        id=attrs.get("Id", ""),
        name=str(attrs.get("Name", "")).lstrip("/"),
        service=service,
        state=state.get("Status", "unknown"),
        health=health.get("Status", "none") if health.get("Status") in HEALTH_STATES else "none",
        failing_streak=int(health.get("FailingStreak", 0) or 0),
        last_health_output=str(log[-1].get("Output", "")).strip() if log else "",
        restarts=int(attrs.get("RestartCount", 0) or 0),
        exit_code=int(state.get("ExitCode", 0) or 0),
        ports=ports,
        ports_ok=(
            all(published.get(cport) == {hport} for cport, hport in want.items()) if want else None
        ),
    )


def _bindings(attrs: dict[str, Any]) -> tuple[PortBinding, ...]:
    """Published ports: live ones while running, else the configured bindings."""
    live = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
    configured = (attrs.get("HostConfig") or {}).get("PortBindings") or {}
    source = live if any(live.values()) else configured
    found: set[PortBinding] = set()
    for key, bindings in source.items():
        port, _, protocol = key.partition("/")
        for binding in bindings or []:
            host = str(binding.get("HostPort") or "0")
            if host.isdigit() and int(host):
                found.add(
                    PortBinding(int(port), protocol or "tcp", binding.get("HostIp", ""), int(host))
                )
    return tuple(sorted(found, key=lambda b: (b.container_port, b.host_ip, b.host_port)))


def describe_error(exc: BaseException, host: str) -> str:
    """One short line for "docker unavailable: <reason>"."""
    text = str(exc)
    if "FileNotFoundError" in text or "No such file" in text:
        return f"no Docker daemon socket at {host}"
    if "Connection refused" in text or "ConnectionRefused" in text:
        return f"the Docker daemon at {host} refuses connections"
    if "Connection aborted" in text or "RemoteDisconnected" in text:
        return f"the Docker daemon at {host} went away"
    first = text.splitlines()[0] if text else type(exc).__name__
    return first[:200]
