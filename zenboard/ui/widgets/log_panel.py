"""The selected suite's raw output (pytest's own lines), for what goes wrong outside tests.

It shows `SuiteState.output` (the model keeps the last lines); new lines are appended from each
fold's batch, and switching suite reloads the kept lines once. It is a `LineView`, not Textual's
`Log`: appending lines or switching suite repaints this panel only, never the whole screen (the
switch happens on every `j`/`k`, and output arrives while tests stream). It follows the end of
the output unless the person scrolled up; long lines are cut at the panel's edge. Lines are shown
through `shown` (the session names its staging folder as the report dir there, see
`Session.published`); the model keeps pytest's words as they were.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from rich.segment import Segment
from textual.strip import Strip

from zenboard.model.state import RunState
from zenboard.ui.safe_text import visible
from zenboard.ui.widgets.line_view import LineView

MAX_LINES = 2_000


class LogPanel(LineView, can_focus=True):
    def __init__(self, state: RunState, shown: Callable[[str], str] = str) -> None:
        super().__init__(id="log")
        self.state = state
        self.shown = shown
        self.suite: str | None = None
        self.lines: deque[str] = deque(maxlen=MAX_LINES)
        self.following = True
        """At the end of the output when last drawn: a resize keeps it there (a fresh start at
        the new size would show the end too)."""

    def show_suite(self, name: str | None) -> None:
        self.suite = name
        self.border_title = f"output: {name}" if name else "output"
        suite = self.state.suites.get(name) if name else None
        self.lines.clear()
        if suite is not None:
            self.lines.extend(suite.output)
        self._follow(True)

    def add(self, launched: set[str], output: dict[str, list[str]]) -> None:
        if self.suite is None:
            return
        if self.suite in launched:
            self.show_suite(self.suite)
        elif output.get(self.suite):
            following = self.at_end()
            self.lines.extend(output[self.suite])
            self._follow(following)

    def _follow(self, to_end: bool) -> None:
        self.following = to_end
        self.set_line_count(len(self.lines))
        if to_end:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
        self.refresh()

    def on_resize(self) -> None:
        following = self.following
        super().on_resize()
        if following:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.scrollable_content_region.width
        style = self.rich_style
        if 0 <= index < len(self.lines):
            # Tabs become spaces; other control characters (C0 and C1) would move the cursor
            # or start an escape sequence: they are spelled out (`\x1b`), as everywhere else.
            line = visible(self.shown(self.lines[index]).expandtabs(8))
            strip = Strip([Segment(line, style)])
            if strip.cell_length > width:
                strip = Strip([*strip.crop(0, max(width - 1, 0)), Segment("…", style)])
            return strip.adjust_cell_length(width, style)
        return Strip.blank(width, style)
