"""The footer with the current keys, rebuilt only when the keys it shows change.

Textual's `Footer` recomposes on every change of focus: it unmounts and mounts one widget per
key, which lays out and repaints the whole screen. Moving between suite cards (`j`/`k`) changes
focus on every press without changing the keys shown, and that rebuild was most of the cost of
a key press while tests streamed. This footer compares what it would show and skips the rest.

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
