"""The footer with the current keys, rebuilt only when the keys it shows change.

Where Textual's `Footer` recomposes on every change of focus, this footer compares the keys it
would show with those it shows and rebuilds only when they differ (why: docs/architecture.md,
"A footer rebuilt only when its keys change").

Below `COMPACT_BELOW` columns it drops its spacing and the `ctrl+p palette` hint, so every key
fits in 80 columns (ctrl+p still opens the palette, and help lists it). It decides from its own
width, in its own resize event, so it follows the terminal whichever way it was resized.
"""

from __future__ import annotations

from textual import events
from textual.screen import Screen
from textual.widgets import Footer

COMPACT_BELOW = 120
"""Columns under which the footer is compact (the dashboard's narrow layout starts there too)."""

ShownKeys = tuple[tuple[str, str, bool, str], ...]


def shown_keys(screen: Screen[object]) -> ShownKeys:
    return tuple(
        (binding.key, binding.description, enabled, tooltip)
        for _node, binding, enabled, tooltip in screen.active_bindings.values()
        if binding.show
    )


class KeysFooter(Footer):
    def __init__(self) -> None:
        super().__init__()
        self._shown: ShownKeys | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        shown = shown_keys(screen)
        if shown == self._shown:
            return
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._shown = shown  # the base class recomposes in exactly this case
        super().bindings_changed(screen)

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < COMPACT_BELOW
        self.compact = narrow
        if self.show_command_palette == narrow:
            # The hint is composed with the keys: it comes or goes only with a rebuild.
            self.show_command_palette = not narrow
            self._shown = None
            self.refresh(recompose=True)
