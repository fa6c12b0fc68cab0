"""The help screen (`?`): every key of the dashboard with what it does, from the keys table.

One section per place a key works (the dashboard, the test list, the containers panel, the
filter box, the details screen, this screen), each key written as people write it (`/`, `?`,
`j/↓`, `page down`), so what help says and what is bound come from the same rows
(`zenboard/ui/keys.py`).
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from zenboard.ui.keys import KEYS, WHERE, bindings, keys_text
from zenboard.ui.screens.scrolling import ScrollingModal

TITLES = {
    "dashboard": "Dashboard",
    "test list": "In the test list",
    "containers": "In the containers panel",
    "filter box": "In the filter box",
    "details": "In a test's details",
    "logs": "In a service's logs",
    "tasks": "In the tasks screen",
    "help": "In this help",
}


def keys_table() -> Group:
    """The sections, each a two-column grid: keys (as people write them), what they do."""
    parts: list[Table | Text] = []
    key_width = max(cell_len(keys_text(key.keys)) for key in KEYS)  # one column for all
    for where in WHERE:
        rows = [key for key in KEYS if key.where == where]
        if not rows:
            continue
        if parts:
            parts.append(Text())
        parts.append(Text(TITLES[where], style="bold"))
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True, min_width=key_width)
        table.add_column()
        for key in rows:
            table.add_row(keys_text(key.keys), key.help)
        parts.append(table)
    return Group(*parts)


class HelpScreen(ScrollingModal):
    BODY_ID = "help-body"
    BINDINGS: ClassVar[list[BindingType]] = list(bindings("help"))

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "zenboard keys"
            body.border_subtitle = "j/↓ scrolls · esc closes"
            yield Static(keys_table(), id="help-text")
            yield Static(
                Text(
                    "\nEvery command is in the palette too (ctrl+p), per suite by name.",
                    style="dim",
                )
            )
