"""A service's logs (`l` in the containers panel): the last lines, then live, until closed.

A `LogFollower` reads them on its own thread into a bounded buffer; a timer here takes what
came every `TAKE_SECONDS` and appends it in one go (never a UI call per line), and closing the
screen closes the stream. Container output is untrusted: every line is drawn through
`visible` (control characters spelled out, never markup), cut at the screen's edge.
"""

from __future__ import annotations

from collections import deque
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.strip import Strip
from textual.widgets import Footer

from zenboard.tasks.container_logs import LogFollower, LogLine, clock_text
from zenboard.ui.keys import bindings
from zenboard.ui.safe_text import literal, visible
from zenboard.ui.screens.scrolling import ScrollingModal
from zenboard.ui.widgets.line_view import LineView

TAKE_SECONDS = 0.1
SHOWN_LINES = 5_000
STAMP_STYLE = Style(dim=True)


class LogLines(LineView, can_focus=True):
    """The lines, oldest first, following the end unless scrolled up."""

    def __init__(self) -> None:
        super().__init__(id="logs-body")
        self.lines: deque[LogLine] = deque(maxlen=SHOWN_LINES)

    def add(self, lines: list[LogLine]) -> None:
        following = self.at_end()
        self.lines.extend(lines)
        self.set_line_count(len(self.lines))
        if following:
            self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        width = self.scrollable_content_region.width
        style = self.rich_style
        if not 0 <= index < len(self.lines):
            return Strip.blank(width, style)
        line = self.lines[index]
        strip = Strip(
            [
                Segment(clock_text(line.time) + " ", style + STAMP_STYLE),
                Segment(visible(line.text.expandtabs(8)), style),
            ]
        )
        if strip.cell_length > width:
            strip = Strip([*strip.crop(0, max(width - 1, 0)), Segment("…", style)])
        return strip.adjust_cell_length(width, style)


class LogsScreen(ScrollingModal):
    BODY_ID = "logs-body"
    BINDINGS: ClassVar[list[BindingType]] = list(bindings("logs"))

    def __init__(self, service: str, follower: LogFollower) -> None:
        """The logs of `service`'s container, read by `follower` (started here, closed on exit)."""
        super().__init__(id="logs")
        self.service = service
        self.follower = follower
        self.body = LogLines()
        self._said = ""

    def compose(self) -> ComposeResult:
        self.body.border_title = literal(f"logs: {self.service}  (last lines, then live)")
        yield self.body
        yield Footer()

    def on_mount(self) -> None:
        self.follower.start()
        self.set_interval(TAKE_SECONDS, self.take)
        self.body.focus()

    def on_unmount(self) -> None:
        self.follower.close()

    def take(self) -> None:
        lines = self.follower.take()
        if lines:
            self.body.add(lines)
        state = self.follower.problem or ("ended" if self.follower.ended else "")
        if state != self._said:
            self._said = state
            title = literal(f"logs: {self.service}  ({state or 'last lines, then live'})")
            self.body.border_title = title
