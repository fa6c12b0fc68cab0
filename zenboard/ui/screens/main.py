"""The dashboard's own screen: a key's change reaches the terminal within a short frame.

Textual's `Screen.focused` is a reactive that repaints the whole screen whenever focus moves.
On the dashboard every `j`/`k` and every tab moves focus, and a whole-screen render costs about
as much as a frame, so each such key waited for one. The widgets whose look depends on focus
restyle themselves (`:focus` in the stylesheet) and the footer follows the bindings, so the
screen declares the same reactive without the repaint.

Textual also paints a screen's changes on a fixed 60 Hz grid (`textual.screen.UPDATE_PERIOD`):
a key handled just after a grid point waited up to 17 ms before its first paint. The dashboard
paints on a finer grid; the grid only bounds how often it may paint, the streamed results are
still painted at most 10 times a second (`app.PAINT_SECONDS`).
"""

from __future__ import annotations

import textual.screen
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget

FRAME_SECONDS = 1 / 120
"""The finest grid on which the screen paints what changed (Textual's own: 1/60 s)."""


def paint_on_a_finer_grid() -> None:
    """Make screens created from now on paint on `FRAME_SECONDS`' grid (before the app runs)."""
    textual.screen.UPDATE_PERIOD = FRAME_SECONDS  # type: ignore[misc]


class DashboardScreen(Screen[object]):
    """The main screen of the dashboard (the app composes into it)."""

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)
    """The focused widget, as Textual's, minus the whole-screen repaint on each change."""
