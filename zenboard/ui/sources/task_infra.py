"""The live source behind the ports and containers panels, for a project with tasks.

It adapts what `zenboard/tasks/` offers (allocated ports, `ContainerWatcher`, the task's
Compose project) to the plain `InfraSnapshot` the panels draw. The watcher keeps its own
thread and never raises; port states need a bind test per port, so they are refreshed at most
every `PORTS_EVERY` seconds. Service commands (start, stop, restart, up, down) run Compose for
seconds: they go, in the order given, to a commander thread of their own, never the UI's and
never the engine's (a rerun does not wait behind a `compose up`).
"""

from __future__ import annotations

import time

from zenboard.config import ProjectConfig
from zenboard.errors import InputError
from zenboard.tasks.beside import Beside, beside
from zenboard.tasks.compose.lifecycle import ServicesFailed, control, prepare
from zenboard.tasks.compose.project import TaskCompose
from zenboard.tasks.docker_watch import ContainerWatcher
from zenboard.tasks.status import expected_ports, port_states
from zenboard.tasks.taskenv import TaskSetup
from zenboard.textsafe import visible
from zenboard.ui.commander import Commander
from zenboard.ui.sources.infra import ContainerRow, Done, InfraSnapshot, PortRow

PORTS_EVERY = 2.0
CLOSE_WAIT = 30.0
DONE_WORDS = {
    "up": "started",
    "start": "started",
    "stop": "stopped",
    "restart": "restarted",
    "down": "removed",
}


class TaskInfra:
    def __init__(
        self,
        setup: TaskSetup,
        watcher: ContainerWatcher | None = None,
        config: ProjectConfig | None = None,
    ) -> None:
        """The task's ports and containers; with `config`, its services can be controlled.

        Args:
            setup: The task, its ports claimed.
            watcher: The watcher of its containers (None: one started here).
            config: The project's configuration (None: no service commands).
        """
        self.setup = setup
        self.config = config
        self.watcher = (
            watcher or ContainerWatcher(setup.task.compose_project, expected_ports(setup)).start()
        )
        self._ports: tuple[PortRow, ...] = ()
        self._ports_at = 0.0
        self._version = -1
        self._compose: TaskCompose | None = None
        self._compose_problem = "" if config is not None else "no configuration"
        self._commander = Commander()
        if config is not None:
            self._commander.submit(self._read_services)

    def _prepare(self) -> TaskCompose | None:
        """The task's Compose project, read once (Compose, files, services); None with a why."""
        if self._compose is None and self.config is not None:
            try:
                self._compose = prepare(self.config, self.setup)
                self._compose_problem = ""
            except InputError as exc:
                self._compose_problem = str(exc)
        return self._compose

    def _read_services(self) -> None:
        """At start, so the panel and the palette list the services before any command."""
        self._prepare()

    def control(self, verb: str, service: str | None, done: Done) -> None:
        def command() -> None:
            compose = self._prepare()
            if compose is None or self.config is None:
                done(visible(self._compose_problem), False)
                return
            what = service or f"the task's {len(compose.services)} services"
            try:
                control(compose, self.setup, verb, service, lambda line: None)
            except ServicesFailed as exc:
                done(visible(str(exc)), False)
                return
            done(f"{visible(what)}: {DONE_WORDS[verb]}", True)

        if not self._commander.submit(command):
            done("closing: no more service commands", False)

    def beside(self, since: float, until: float) -> Beside | None:
        return beside(self.watcher, since, until)

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
                id=c.id,
            )
            for c in snap.containers
        )
        compose = self._compose
        return InfraSnapshot(
            task=self.setup.task.id,
            ports=self._ports,
            containers=containers,
            docker_available=snap.docker.available,
            docker_reason=snap.docker.reason,
            has_tasks=True,
            services=compose.services if compose is not None else (),
            compose_problem=self._compose_problem,
        )

    def close(self) -> None:
        """Stop the watcher; a Compose command under way may finish (at most `CLOSE_WAIT`
        seconds), so it is never left running behind the dashboard."""
        self._commander.close()
        self._commander.join(CLOSE_WAIT)
        self.watcher.close()
