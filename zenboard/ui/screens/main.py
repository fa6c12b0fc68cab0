"""The dashboard's own screen: a focus change repaints the two widgets it concerns, not all.

Textual's `Screen.focused` is a reactive that repaints the whole screen whenever focus moves.
On the dashboard every `j`/`k` and every tab moves focus, and a whole-screen render costs about
as much as a frame, so each such key waited for one. The widgets whose look depends on focus
restyle themselves (`:focus` in the stylesheet) and the footer follows the bindings, so the
screen declares the same reactive without the repaint.
"""

from __future__ import annotations

from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget


class DashboardScreen(Screen[object]):
    """The main screen of the dashboard (the app composes into it)."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    """The focused widget, as Textual's, minus the whole-screen repaint on each change."""
