"""The live source behind the ports and containers panels, for a project with tasks.

It adapts what `zenboard/tasks/` offers (allocated ports, `ContainerWatcher`) to the plain
`InfraSnapshot` the panels draw. The watcher keeps its own thread and never raises; port states
need a bind test per port, so they are refreshed at most every `PORTS_EVERY` seconds.
"""

from __future__ import annotations

import time

from zenboard.tasks.docker_watch import ContainerWatcher
from zenboard.tasks.status import expected_ports, port_states
from zenboard.tasks.taskenv import TaskSetup
from zenboard.ui.sources.infra import ContainerRow, InfraSnapshot, PortRow

PORTS_EVERY = 2.0


class TaskInfra:
    def __init__(self, setup: TaskSetup, watcher: ContainerWatcher | None = None) -> None:
        self.setup = setup
        self.watcher = (
            watcher or ContainerWatcher(setup.task.compose_project, expected_ports(setup)).start()
        )
        self._ports: tuple[PortRow, ...] = ()
        self._ports_at = 0.0
        self._version = -1

    def snapshot(self) -> InfraSnapshot:
        snap = self.watcher.snapshot()
        now = time.monotonic()
        if now - self._ports_at >= PORTS_EVERY or snap.version != self._version:
            states = port_states(self.setup, snap)
            self._ports = tuple(
                PortRow(service, port, states.get(service, "?"))
                for service, port in self.setup.allocation.ports.items()
            )
            self._ports_at, self._version = now, snap.version
        containers = tuple(
            ContainerRow(
                service=c.service or c.name,
                state=c.state,
                health=c.health,
                failing_streak=c.failing_streak,
                restarts=c.restarts,
                ports_ok=c.ports_ok,
            )
            for c in snap.containers
        )
        return InfraSnapshot(
            task=self.setup.task.id,
            ports=self._ports,
            containers=containers,
            docker_available=snap.docker.available,
            docker_reason=snap.docker.reason,
            has_tasks=True,
        )

    def close(self) -> None:
        self.watcher.close()
