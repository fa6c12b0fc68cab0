"""What the dashboard shows about the task's ports and containers, as plain data.

The `tasks` package (ports, containers) owns the facts; this module turns whatever it offers into
rows the panels draw, so the widgets never talk to Docker or the port registry themselves and
snapshot tests can feed fixed rows. `InfraSource` is polled from a timer on the UI side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # a type only: the first frame of a project without tasks does without it
    from zenboard.tasks.beside import Beside

Done = Callable[[str, bool], None]
"""How a service command reports its end: a one-line message, and whether it succeeded."""
NO_SERVICES = (
    "no task services here: the project has no [tool.zenboard.ports] "
    "(`zenboard up` makes it a task)"
)


@dataclass(frozen=True, slots=True)
class PortRow:
    service: str
    port: int
    state: str
    """"ok", "in use", "conflict", ... in the port integration's own words."""


@dataclass(frozen=True, slots=True)
class ContainerRow:
    service: str
    state: str
    """Docker's words: running, exited, restarting..."""
    health: str
    """"starting" | "healthy" | "unhealthy" | "none"."""
    failing_streak: int = 0
    restarts: int = 0
    ports_ok: bool | None = None
    """Published ports match the task's assignment (None: nothing to check)."""
    id: str = ""
    """Docker's container id, for its logs ("" in fixed test data: no logs)."""


@dataclass(frozen=True, slots=True)
class InfraSnapshot:
    task: str = ""
    ports: tuple[PortRow, ...] = ()
    containers: tuple[ContainerRow, ...] = ()
    docker_available: bool = True
    docker_reason: str = ""
    """Why Docker is unavailable (shown as "docker unavailable: <reason>")."""
    has_tasks: bool = False
    """False for a project without task isolation: the panels say so instead of staying blank."""
    notes: tuple[str, ...] = field(default=())
    services: tuple[str, ...] = ()
    """The services the task's compose files define (empty until Compose has read them)."""
    compose_problem: str = ""
    """Why the task's services cannot be controlled (no Compose, no compose file...)."""


class InfraSource(Protocol):
    def snapshot(self) -> InfraSnapshot: ...

    def close(self) -> None: ...

    def beside(self, since: float, until: float) -> Beside | None:
        """What the task's containers did and logged in [since, until] (blocks on Docker: call
        it off the UI thread); None without task services."""

    def control(self, verb: str, service: str | None, done: Done) -> None:
        """Run a service command (`up`, `start`, `stop`, `restart`, `down`) off the UI thread;
        `done` is called (from another thread) with its outcome."""


class StaticInfra:
    """A source that always reports the same snapshot (projects without tasks, and tests)."""

    def __init__(self, snapshot: InfraSnapshot | None = None) -> None:
        self._snapshot = snapshot or InfraSnapshot()

    def snapshot(self) -> InfraSnapshot:
        return self._snapshot

    def set(self, snapshot: InfraSnapshot) -> None:
        self._snapshot = snapshot

    def close(self) -> None:
        return None

    def beside(self, since: float, until: float) -> Beside | None:
        return None

    def control(self, verb: str, service: str | None, done: Done) -> None:
        done(NO_SERVICES, False)
