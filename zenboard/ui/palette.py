"""The command palette (ctrl+p): every dashboard action, then the per-suite ones by suite name,
then the few of Textual's own commands that mean something here.

One provider yields them all, in that order: the palette shows discovery hits in the order they
arrive, and with several providers that order is whichever finished first. While searching,
the palette sorts by score, so zenboard's hits are lifted above the best of Textual's: the
dashboard's own commands always come first, the best match first within each group. Titles are
sentence case verbs, the suite's name last (`Rerun failed tests of unit-fast`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from zenboard.ui.app import ZenboardApp

GLOBAL = (
    ("Run all suites", "run_all", "start every suite at once (a)"),
    ("Rerun failed tests of all suites", "rerun_failed_all", "only the failed tests (F)"),
    ("Rerun the selected test", "rerun_test", "the test selected in the list (t)"),
    ("Cancel all runs", "cancel_all", "stop every suite that runs (C)"),
    ("Filter tests by name", "filter", "list the tests whose name contains a text (/)"),
    ("Toggle watch mode", "toggle_watch", "rerun what each save affects (w)"),
    ("Show keys", "help", "every key of the dashboard (?)"),
    ("Quit", "quit_cleanly", "cancel every run, then quit (q)"),
)
PER_SUITE = (
    ("Rerun suite {suite}", "rerun_suite_named", "run this suite again"),
    ("Rerun failed tests of {suite}", "rerun_failed_named", "only this suite's failed tests"),
    ("Cancel {suite}", "cancel_suite_named", "stop this suite's run"),
    ("Show {suite}", "select_suite", "select this suite: its card and its output"),
)
Command = tuple[str, Callable[[], object], str, bool]
"""Title, what it runs, help text, and whether it is zenboard's own (not Textual's)."""


class ZenboardCommands(Provider):
    def _commands(self) -> list[Command]:
        app = cast("ZenboardApp", self.app)
        found: list[Command] = [
            (title, partial(app.run_action, action), help_text, True)
            for title, action, help_text in GLOBAL
        ]
        for suite in app.session.suites:
            for title, action, help_text in PER_SUITE:
                found.append(
                    (
                        title.format(suite=suite.name),
                        partial(app.run_action, f"{action}({suite.name!r})"),
                        help_text,
                        True,
                    )
                )
        for command in app.get_system_commands(self.screen):
            found.append((command.title, command.callback, command.help, False))
        return found

    async def discover(self) -> Hits:
        for title, command, help_text, _ours in self._commands():
            yield DiscoveryHit(title, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        scored = [(matcher.match(c[0]), c) for c in self._commands()]
        # Textual's fuzzy scores have no fixed top: lift zenboard's above the best of Textual's.
        lift = max((score for score, c in scored if not c[3]), default=0.0)
        for score, (title, command, help_text, ours) in scored:
            if score > 0:
                yield Hit(
                    score + lift if ours else score,
                    matcher.highlight(title),
                    command,
                    help=help_text,
                )
