"""The ports panel and the containers panel, drawn from an `InfraSnapshot` (plain data).

Both repaint only when their part of the snapshot changed. A container's row: service, state,
health in colour, the health check's failing streak (`3✗`), restarts (`↻1`) and whether its
published ports are the task's (`ports ok`, `ports WRONG`, or `ports —`: nothing to compare).
A service of the compose files without a container is a row too (`not created`). Without
Docker the panel says "docker unavailable: <reason>". An empty panel is one line without a
frame (`-empty`); a project without tasks has neither (see `nothing_to_show`). Every cell is a
`Text` with its control characters spelled out (labels come from containers).

The containers panel takes the focus (tab, or a click): a cursor picks a service, and its keys
(`keys.py`, "containers") ask the app to start, stop or restart it (`ServiceChosen`), or to
show its logs (`LogsChosen`).
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.binding import BindingType
from textual.message import Message
from textual.widgets import Static

from zenboard.ui.keys import bindings
from zenboard.ui.render import HEALTH_STYLE
from zenboard.ui.safe_text import literal
from zenboard.ui.sources.infra import ContainerRow, InfraSnapshot


def nothing_to_show(snap: InfraSnapshot) -> bool:
    """A project without tasks and no Docker fault to report: no ports or containers row."""
    return not snap.has_tasks and snap.docker_available


class InfraPanel(Static):
    def set_empty(self, why: str) -> None:
        """One line, no frame: the panel's title and why it has nothing to show."""
        self.set_class(True, "-empty")
        self.update(Text.assemble((f"{self.border_title}: ", "bold"), (why, "dim")))


class PortsPanel(InfraPanel):
    def __init__(self) -> None:
        super().__init__(id="ports", classes="infra-panel")
        self.border_title = "ports"
        self._shown: object = None

    def show(self, snap: InfraSnapshot) -> None:
        key = (snap.has_tasks, snap.ports)
        if key == self._shown:
            return
        self._shown = key
        if not snap.has_tasks:
            self.set_empty("no task ports configured")
            return
        if not snap.ports:
            self.set_empty("none assigned")
            return
        self.set_class(False, "-empty")
        table = Table.grid(padding=(0, 2))
        for _ in range(3):
            table.add_column()
        for row in snap.ports:
            style = "green" if row.state in ("free", "task") else "bold red"
            table.add_row(literal(row.service), str(row.port), literal(row.state, style=style))
        self.update(table)


class ContainersPanel(InfraPanel):
    BINDINGS: ClassVar[list[BindingType]] = list(bindings("containers"))
    can_focus = True

    class LogsChosen(Message):
        """`l` on a service: show its container's logs."""

        def __init__(self, service: str, container_id: str) -> None:
            super().__init__()
            self.service = service
            self.container_id = container_id

    class ServiceChosen(Message):
        """A service command was chosen on the panel: `start`, `stop` or `restart`."""

        def __init__(self, verb: str, service: str) -> None:
            super().__init__()
            self.verb = verb
            self.service = service

    def __init__(self) -> None:
        super().__init__(id="containers", classes="infra-panel")
        self.border_title = "containers"
        self._shown: object = None
        self._snap = InfraSnapshot()
        self.rows: list[tuple[str, ContainerRow | None]] = []
        """(service, its container) per row: the containers, then the compose files' services
        without one (`None`)."""
        self.cursor = 0

    @property
    def selected(self) -> str | None:
        return self.rows[self.cursor][0] if self.rows else None

    def show(self, snap: InfraSnapshot) -> None:
        key = (
            snap.has_tasks,
            snap.docker_available,
            snap.docker_reason,
            snap.containers,
            snap.services,
        )
        if key == self._shown:
            return
        self._shown = key
        self._snap = snap
        listed = {c.service for c in snap.containers}
        self.rows = [(c.service, c) for c in snap.containers]
        self.rows += [(name, None) for name in snap.services if name not in listed]
        self.cursor = min(self.cursor, max(0, len(self.rows) - 1))
        self._draw()

    def _draw(self) -> None:
        snap = self._snap
        if not snap.docker_available:
            self.set_class(False, "-empty")
            self.update(literal(f"docker unavailable: {snap.docker_reason}", style="yellow"))
            return
        if not snap.has_tasks:
            self.set_empty("no task containers (no [tool.zenboard.ports])")
            return
        self.set_class(False, "-empty")
        if not self.rows:
            self.set_empty("none up for this task")
            return
        table = Table.grid(padding=(0, 1))
        for _ in range(6):
            table.add_column(no_wrap=True)
        for index, (service, container) in enumerate(self.rows):
            cells = _cells(service, container)
            style = "reverse" if self.has_focus and index == self.cursor else ""
            table.add_row(*cells, style=style)
        self.update(table)

    def on_focus(self) -> None:
        self._draw()

    def on_blur(self) -> None:
        self._draw()

    def action_cursor(self, step: int) -> None:
        if self.rows:
            self.cursor = (self.cursor + step) % len(self.rows)
            self._draw()

    def action_logs(self) -> None:
        if self.rows:
            service, container = self.rows[self.cursor]
            if container is not None and container.id:
                self.post_message(self.LogsChosen(service, container.id))
            else:
                self.notify(f"{service} has no container: no logs", severity="warning")

    def action_service(self, verb: str) -> None:
        if self.selected is not None:
            self.post_message(self.ServiceChosen(verb, self.selected))


STOPPED = frozenset({"created", "exited", "dead"})
"""States in which a container publishes no port: its configured bindings prove nothing."""


def _cells(service: str, c: ContainerRow | None) -> tuple[Text, ...]:
    """One row: the service, then its container's state, health, streak, restarts, ports."""
    name = literal(service, style="bold")
    if c is None:
        return name, Text("not created", style="dim"), Text(), Text(), Text(), Text()
    state = literal(c.state, style="" if c.state == "running" else "bold red")
    health = literal(c.health, style=HEALTH_STYLE.get(c.health, ""))
    streak = Text(f"{c.failing_streak}✗" if c.failing_streak else "", style="red")
    restarts = Text(f"↻{c.restarts}", style="yellow" if c.restarts else "dim")
    ports = Text("ports ")
    if c.ports_ok is None or c.state in STOPPED:  # nothing assigned, or nothing published now
        ports.append("—", style="dim")
    else:
        ports.append("ok" if c.ports_ok else "WRONG", style="green" if c.ports_ok else "bold red")
    return name, state, health, streak, restarts, ports
