"""The command palette (ctrl+p): `App.get_system_commands`, listed in the order it gives.

The commands themselves come from the key table (`keys.palette_commands`) and the per-suite
table below; `ZenboardApp.get_system_commands` yields them, then Textual's theme command.
Textual's own provider would sort them by title; this one keeps their order, and while
searching lifts zenboard's hits above the best of Textual's (fuzzy scores have no fixed top).
"""

from __future__ import annotations

from textual.command import DiscoveryHit, Hit, Hits, Provider

PER_SUITE = (
    ("Rerun suite {suite}", "rerun_suite_named", "run this suite again"),
    ("Rerun failed tests of {suite}", "rerun_failed_named", "only this suite's failed tests"),
    ("Cancel {suite}", "cancel_suite_named", "stop this suite's run"),
    ("Show {suite}", "select_suite", "select this suite: its card and its output"),
)
"""Title, action (called with the suite's name) and help of each suite's own commands."""
PER_SERVICE = (
    ("Start service {service}", "start", "docker compose up -d for this service"),
    ("Stop service {service}", "stop", "docker compose stop for this service"),
    ("Restart service {service}", "restart", "docker compose restart for this service"),
)
"""Title, verb and help of each service's own commands (the task's Compose services)."""
LOGS_TITLE = "Show logs of service {service}"
LOGS_HELP = "its container's last lines, then live"
SERVICES_DOWN = (
    "Stop and remove the task's services",
    "services_down",
    "docker compose down: the task's containers and networks (its volumes stay)",
)
THEME_TITLE = "Change theme"
"""The one Textual command kept (its Quit, Keys, Maximize and Screenshot mean nothing here)."""


def suite_commands(suite: str) -> list[tuple[str, str, str]]:
    """`PER_SUITE` for one suite: title, action string (`run_action`) and help."""
    return [
        (title.format(suite=suite), f"{action}({suite!r})", help_text)
        for title, action, help_text in PER_SUITE
    ]


def service_commands(service: str, has_container: bool = False) -> list[tuple[str, str, str]]:
    """`PER_SERVICE` for one service (and its logs when it has a container): title, action
    string (`run_action`) and help."""
    commands = [
        (title.format(service=service), f"service_named({verb!r}, {service!r})", help_text)
        for title, verb, help_text in PER_SERVICE
    ]
    if has_container:
        commands.append((LOGS_TITLE.format(service=service), f"logs_named({service!r})", LOGS_HELP))
    return commands


class OrderedCommands(Provider):
    """The app's system commands in the app's order; zenboard's first while searching."""

    async def discover(self) -> Hits:
        for command in self.app.get_system_commands(self.screen):
            if command.discover:
                yield DiscoveryHit(command.title, command.callback, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        scored = [
            (matcher.match(command.title), command)
            for command in self.app.get_system_commands(self.screen)
        ]
        lift = max((score for score, c in scored if c.title == THEME_TITLE), default=0.0)
        for score, command in scored:
            if score > 0:
                ours = command.title != THEME_TITLE
                yield Hit(
                    score + lift if ours else score,
                    matcher.highlight(command.title),
                    command.callback,
                    help=command.help,
                )
