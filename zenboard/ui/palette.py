"""The command palette (ctrl+p): every dashboard action, and the per-suite ones by suite name."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from zenboard.ui.app import ZenboardApp

GLOBAL = (
    ("run all suites", "run_all", "start every suite at once"),
    ("rerun failed: all suites", "rerun_failed_all", "rerun only failed tests, in every suite"),
    ("cancel all", "cancel_all", "cancel every run"),
    ("filter tests by name", "filter", "show tests whose name contains a text"),
    ("toggle watch mode", "toggle_watch", "rerun what a save affects"),
    ("help: keys", "help", "every key of the dashboard"),
    ("quit", "quit_cleanly", "cancel runs and quit"),
)
PER_SUITE = (
    ("rerun suite", "rerun_suite_named", "run this suite again"),
    ("rerun failed", "rerun_failed_named", "rerun only this suite's failed tests"),
    ("cancel", "cancel_suite_named", "cancel this suite's run"),
    ("show", "select_suite", "select this suite (its card and output)"),
)


class ZenboardCommands(Provider):
    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = cast("ZenboardApp", self.app)
        found: list[tuple[str, Callable[[], object], str]] = [
            (title, partial(app.run_action, action), help_text)
            for title, action, help_text in GLOBAL
        ]
        for suite in app.session.suites:
            for verb, action, help_text in PER_SUITE:
                found.append(
                    (
                        f"{verb}: {suite.name}",
                        partial(app.run_action, f"{action}({suite.name!r})"),
                        help_text,
                    )
                )
        return found

    async def discover(self) -> Hits:
        for title, command, help_text in self._commands():
            yield DiscoveryHit(title, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, command, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, help=help_text)
