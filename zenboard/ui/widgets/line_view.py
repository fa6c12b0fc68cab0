"""A scrolling view drawn line by line from plain data, that grows without a screen layout.

Textual's `DataTable` and `Log` set `virtual_size` when rows arrive: a reactive that re-lays out
the whole screen and repaints every widget on it (what that cost: docs/performance.md, "Layout
per update"). A `LineView` always shows its vertical scrollbar (`overflow-y: scroll`), so a new
length changes nothing on screen but the scrollbar's thumb and the view's own lines:
`set_line_count` stores the virtual size without the reactive's layout, updates the scrollbar
and repaints this widget only. Subclasses draw one line at a time (`render_line`, Textual's Line
API) over a plain list, so only the visible lines cost anything, however many rows there are.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget


class LineView(ScrollView):
    DEFAULT_CSS = """
    LineView {
        overflow-y: scroll;
        overflow-x: hidden;
    }
    """
    """The scrollbar is always there: its appearing would change the content width (a layout)."""

    def set_line_count(self, count: int) -> None:
        """Make the view `count` lines long: repaint this widget, never the screen's layout."""
        size = Size(self.scrollable_content_region.width, count)
        if size == self.virtual_size:
            return
        self.set_reactive(Widget.virtual_size, size)
        if self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            bar.window_virtual_size = count
            bar.window_size = self.scrollable_content_region.height
        self.scroll_y = self.validate_scroll_y(self.scroll_y)
        self.refresh()

    @property
    def view_height(self) -> int:
        """How many lines are visible at once."""
        return self.scrollable_content_region.height

    def at_end(self) -> bool:
        return self.scroll_y >= self.max_scroll_y

    def on_resize(self) -> None:
        """A new width or height: lines drawn for the old one are stale."""
        self.set_line_count(self.virtual_size.height)
        self.refresh()
