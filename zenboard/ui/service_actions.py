"""The dashboard's commands on the task's Compose services: keys, palette entries, their toasts.

A mixin of `ZenboardApp`. Every command goes to the infra source (`InfraSource.control`), which
runs Compose on a thread of its own; its outcome comes back as a `ServicesCommanded` message
(posting a message is safe from any thread) and is said in a toast. Nothing here waits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual.message import Message

from zenboard.ui.palette import SERVICES_DOWN, service_commands
from zenboard.ui.widgets.infra_panels import ContainersPanel

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel
    from textual.screen import Screen

    from zenboard.ui.sources.infra import InfraSource

VERB_ING = {
    "up": "starting",
    "start": "starting",
    "stop": "stopping",
    "restart": "restarting",
    "down": "stopping and removing",
}


class ServicesCommanded(Message):
    """A service command ended: what happened, in one line, and whether it worked."""

    def __init__(self, text: str, ok: bool) -> None:
        super().__init__()
        self.text = text
        self.ok = ok


class ServiceActions:
    if TYPE_CHECKING:
        infra: InfraSource

        def say(
            self,
            message: str,
            *,
            title: str = "",
            severity: SeverityLevel = "information",
            timeout: float | None = None,
        ) -> None: ...

        def post_message(self, message: Message) -> bool: ...

        def push_screen(self, screen: Screen[None]) -> object: ...

    def known_services(self) -> list[str]:
        """The task's services as the panel knows them: the compose files', then containers'."""
        snap = self.infra.snapshot()
        return list(dict.fromkeys([*snap.services, *(c.service for c in snap.containers)]))

    def service_palette(self) -> Iterator[tuple[str, str, str]]:
        """The palette's service commands: each service's, then taking them all down."""
        if not self.infra.snapshot().has_tasks:
            return
        with_container = {c.service for c in self.infra.snapshot().containers if c.id}
        for service in self.known_services():
            yield from service_commands(service, service in with_container)
        yield SERVICES_DOWN

    def command_services(self, verb: str, service: str | None) -> None:
        what = service or "the task's services"
        self.say(f"{VERB_ING[verb]} {what}...", title="services", timeout=3)
        self.infra.control(verb, service, self._services_done)

    def _services_done(self, text: str, ok: bool) -> None:
        self.post_message(ServicesCommanded(text, ok))

    # Handlers by name, not `@on`: Textual collects `@on` handlers only from the namespaces of
    # its own classes, and this mixin is not one.
    def on_services_commanded(self, message: ServicesCommanded) -> None:
        severity: SeverityLevel = "information" if message.ok else "error"
        self.say(message.text, title="services", severity=severity, timeout=4 if message.ok else 12)

    def on_containers_panel_service_chosen(self, message: ContainersPanel.ServiceChosen) -> None:
        self.command_services(message.verb, message.service)

    def on_containers_panel_logs_chosen(self, message: ContainersPanel.LogsChosen) -> None:
        self.show_logs(message.service, message.container_id)

    def action_logs_named(self, service: str) -> None:
        found = [c for c in self.infra.snapshot().containers if c.service == service and c.id]
        if not found:
            self.say(f"{service} has no container: no logs", title="logs", severity="warning")
            return
        self.show_logs(service, found[0].id)

    def show_logs(self, service: str, container_id: str) -> None:
        from zenboard.tasks.container_logs import LogFollower
        from zenboard.ui.screens.logs import LogsScreen

        self.push_screen(LogsScreen(service, LogFollower(container_id)))

    def action_services_up(self) -> None:
        self.command_services("up", None)

    def action_services_down(self) -> None:
        self.command_services("down", None)

    def action_service_named(self, verb: str, service: str) -> None:
        self.command_services(verb, service)
