"""A modal screen over one scrolling body, which `j`/`↓` and `k`/`↑` scroll a line at a time.

The details and the help bind those keys from the keys table (`scroll('down')`, `scroll('up')`);
the body's own bindings (page up/down, home, end) work as they are.
"""

from __future__ import annotations

from typing import ClassVar

from textual.screen import ModalScreen


class ScrollingModal(ModalScreen[None]):
    BODY_ID: ClassVar[str] = "body"
    """The id of the screen's scrolling body."""

    def action_scroll(self, direction: str) -> None:
        body = self.query_one(f"#{self.BODY_ID}")  # a VerticalScroll, or a LineView (logs)
        if direction == "down":
            body.scroll_down(animate=False)
        else:
            body.scroll_up(animate=False)
