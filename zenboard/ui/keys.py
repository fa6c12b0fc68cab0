"""Every key of the dashboard in one table: the bindings, the help screen and the palette use it.

Each binding has an id (so a user's keymap can move it, `App.set_keymap`) and a tooltip. Keys
that belong to a widget (enter on a test, arrows in the list) are listed for the help screen only.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class Key:
    keys: str
    action: str
    label: str
    help: str
    id: str
    show: bool = True
    bound: bool = True
    """False for keys a widget handles itself (listed in help only)."""
    priority: bool = False


KEYS: tuple[Key, ...] = (
    Key("r", "rerun_suite", "Rerun", "rerun the selected suite", "rerun-suite"),
    Key("a", "run_all", "Run all", "run every suite at once", "run-all"),
    Key(
        "f",
        "rerun_failed",
        "Failed",
        "rerun only the failed tests of the selected suite",
        "rerun-failed",
    ),
    Key(
        "F",
        "rerun_failed_all",
        "Failed (all)",
        "rerun only the failed tests of every suite",
        "rerun-failed-all",
        show=False,
    ),
    Key(
        "enter",
        "details",
        "Details",
        "on a test: open its traceback, captured output and duration",
        "details",
        bound=False,
    ),
    Key("t", "rerun_test", "Rerun test", "rerun the selected test (in the list)", "rerun-test"),
    Key("c", "cancel_suite", "Cancel", "cancel the selected suite's run", "cancel-suite"),
    Key("C", "cancel_all", "Cancel all", "cancel every run", "cancel-all", show=False),
    Key("slash", "filter", "Filter", "filter the test list by name (escape clears)", "filter"),
    Key("w", "toggle_watch", "Watch", "toggle watch mode", "toggle-watch"),
    Key(
        "j,down",
        "next_card",
        "Next",
        "move to the next suite (or test, in the list)",
        "next",
        show=False,
    ),
    Key(
        "k,up",
        "previous_card",
        "Previous",
        "move to the previous suite (or test, in the list)",
        "previous",
        show=False,
    ),
    Key(
        "tab",
        "next_pane",
        "Pane",
        "move between the selected suite, the test list and the output",
        "pane",
        show=False,
        priority=True,
    ),
    Key("question_mark", "help", "Help", "show this help", "help"),
    Key(
        "ctrl+p",
        "command_palette",
        "Palette",
        "every command, with suite names",
        "palette",
        bound=False,
    ),
    Key("q", "quit_cleanly", "Quit", "quit (cancels running suites first)", "quit"),
    Key("ctrl+c", "quit_cleanly", "Quit", "quit too", "quit-ctrl-c", show=False, priority=True),
)


def bindings() -> list[Binding]:
    return [
        Binding(
            k.keys, k.action, k.label, show=k.show, tooltip=k.help, id=k.id, priority=k.priority
        )
        for k in KEYS
        if k.bound
    ]
