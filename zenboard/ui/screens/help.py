"""The help screen (`?`): every key of the dashboard with what it does, from the bindings."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from zenboard.ui.keys import KEYS


def keys_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for key in KEYS:
        table.add_row(key.keys, key.help)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "zenboard keys"
            body.border_subtitle = "escape to close"
            yield Static(keys_table())
            yield Static(
                Text(
                    "\nAll of these are in the command palette too (ctrl+p), with suite names.",
                    style="dim",
                )
            )
