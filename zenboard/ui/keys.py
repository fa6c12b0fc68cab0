"""Every key of the dashboard in one table: the bindings, the help screen and the docs agree on it.

Each row belongs to a place (`WHERE`): the dashboard itself, the test list, the containers
panel, the filter box, the details screen, the help screen. The dashboard's, the containers
panel's, the details screen's and the help screen's bindings are made from it
(`bindings(where)`), each with an id (so a user's keymap can move it, `App.set_keymap`) and a
tooltip. Keys a widget handles itself (the test list's, the scroll
keys of the details, enter and escape in the filter box) are rows with `bound=False`: listed in
help only, and a test checks them against that widget's own bindings.

Keys are shown as people write them (`key_name`): `/`, `?`, `j/↓`, `page down`, `ctrl+p`,
never Textual's names (`slash`, `question_mark`, `j,down`, `pagedown`).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.keys import format_key

WHERE = ("dashboard", "test list", "containers", "filter box", "details", "logs", "tasks", "help")
"""The help screen's sections, in order."""


@dataclass(frozen=True, slots=True)
class Key:
    keys: str
    """Textual key names, comma separated (a single character may be written as itself)."""
    action: str
    label: str
    help: str
    id: str
    where: str = "dashboard"
    show: bool = True
    bound: bool = True
    """False for keys a widget handles itself (listed in help only)."""
    priority: bool = False
    title: str = ""
    """The command's title in the palette, a sentence case verb; "" keeps it out."""


def _widget(keys: str, help_text: str, where: str) -> Key:
    """A row for a key some widget binds itself: shown in help, never bound from here."""
    return Key(keys, "", "", help_text, "", where=where, show=False, bound=False)


def _scrolling(where: str) -> tuple[Key, ...]:
    """The keys of a screen with one scrolling body (`ScrollingModal`): j/k bound here, the
    page, home and end keys the body's own."""
    return (
        Key("j,down", "scroll('down')", "Down", "scroll down", f"{where}.down", where, show=False),
        Key("k,up", "scroll('up')", "Up", "scroll up", f"{where}.up", where, show=False),
        _widget("pagedown", "scroll a page down", where),
        _widget("pageup", "scroll a page up", where),
        _widget("home", "to the top", where),
        _widget("end", "to the bottom", where),
    )


KEYS: tuple[Key, ...] = (
    Key("r", "rerun_suite", "Rerun", "rerun the selected suite", "rerun-suite"),
    Key("a", "run_all", "Run all", "run every suite at once", "run-all", title="Run all suites"),
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
        title="Rerun failed tests of all suites",
    ),
    Key(
        "t",
        "rerun_test",
        "Rerun test",
        "rerun the selected test (in the list)",
        "rerun-test",
        title="Rerun the selected test",
    ),
    Key("c", "cancel_suite", "Cancel", "cancel the selected suite's run", "cancel-suite"),
    Key(
        "C",
        "cancel_all",
        "Cancel all",
        "cancel every run",
        "cancel-all",
        show=False,
        title="Cancel all runs",
    ),
    Key(
        "/",
        "filter",
        "Filter",
        "filter the test list by name",
        "filter",
        title="Filter tests by name",
    ),
    Key(
        "w", "toggle_watch", "Watch", "toggle watch mode", "toggle-watch", title="Toggle watch mode"
    ),
    Key(
        "u",
        "services_up",
        "Up",
        "start the task's Compose services (docker compose up -d)",
        "services-up",
        show=False,
        title="Start the task's services",
    ),
    Key(
        "T",
        "tasks",
        "Tasks",
        "every task of the repository: worktree, ports, containers, last run",
        "tasks",
        show=False,
        title="Show every task of the repository",
    ),
    Key(
        "tab",
        "next_pane",
        "Pane",
        "next pane: the suite's card, the test list, the output, the containers",
        "pane",
        show=False,
        priority=True,
    ),
    Key("j,down", "next_card", "Next", "next suite", "next", show=False),
    Key("k,up", "previous_card", "Previous", "previous suite", "previous", show=False),
    Key("?", "help", "Help", "show this help", "help", title="Show keys"),
    Key(
        "ctrl+p",
        "command_palette",
        "Palette",
        "command palette: every command, per suite by name",
        "palette",
        bound=False,
    ),
    Key("q", "quit_cleanly", "Quit", "quit (cancels running suites first)", "quit", title="Quit"),
    Key("ctrl+c", "quit_cleanly", "Quit", "quit too", "quit-ctrl-c", show=False, priority=True),
    _widget("enter", "open the test's details (traceback, output, duration)", "test list"),
    _widget("j,down", "next test", "test list"),
    _widget("k,up", "previous test", "test list"),
    _widget("pagedown", "a page down", "test list"),
    _widget("pageup", "a page up", "test list"),
    _widget("home", "the first test", "test list"),
    _widget("end", "the last test", "test list"),
    _widget("escape", "clear the filter (the failures again)", "test list"),
    Key(
        "s",
        "service('start')",
        "Start",
        "start the selected service (docker compose up -d SERVICE)",
        "containers.start",
        where="containers",
    ),
    Key(
        "x",
        "service('stop')",
        "Stop",
        "stop the selected service (docker compose stop SERVICE)",
        "containers.stop",
        where="containers",
    ),
    Key(
        "r",
        "service('restart')",
        "Restart",
        "restart the selected service (docker compose restart SERVICE)",
        "containers.restart",
        where="containers",
    ),
    Key(
        "l",
        "logs",
        "Logs",
        "the selected service's logs: the last lines, then live",
        "containers.logs",
        where="containers",
    ),
    Key("j,down", "cursor(1)", "Down", "next service", "containers.down", "containers", show=False),
    Key("k,up", "cursor(-1)", "Up", "previous service", "containers.up", "containers", show=False),
    _widget("enter", "apply the filter", "filter box"),
    _widget("escape", "clear it and show the failures again", "filter box"),
    Key(
        "escape,q",
        "dismiss",
        "Back",
        "back to the dashboard",
        "details.back",
        where="details",
    ),
    Key(
        "t",
        "rerun_test",
        "Rerun test",
        "rerun this test (the details follow its new result)",
        "details.rerun-test",
        where="details",
    ),
    *_scrolling("details"),
    Key("escape,q", "dismiss", "Back", "back (the live logs stop)", "logs.back", where="logs"),
    *_scrolling("logs"),
    Key("escape,q", "dismiss", "Back", "back to the dashboard", "tasks.back", where="tasks"),
    *_scrolling("tasks"),
    Key("escape,q,?", "dismiss", "Close", "close this help", "help.close", where="help"),
    *_scrolling("help"),
)

KEY_NAMES = {
    "escape": "esc",
    "enter": "enter",
    "tab": "tab",
    "space": "space",
    "pagedown": "page down",
    "pageup": "page up",
    "home": "home",
    "end": "end",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
}
"""Names of keys as people write them, where Textual's display differs (`⏎`, `pgdn`)."""


def key_name(key: str) -> str:
    """One key as people write it: `question_mark` -> `?`, `pagedown` -> `page down`."""
    modifiers, plus, base = key.strip().rpartition("+")
    name = base if len(base) == 1 else KEY_NAMES.get(base, format_key(base))
    return f"{modifiers}{plus}{name}"


def keys_text(keys: str) -> str:
    """A binding's keys as people write them: `j,down` -> `j/↓`."""
    return "/".join(key_name(key) for key in keys.split(","))


def palette_commands() -> list[tuple[str, str, str]]:
    """The dashboard's keys that are palette commands: title, action and help (with the key)."""
    return [(k.title, k.action, f"{k.help} ({keys_text(k.keys)})") for k in KEYS if k.title]


def bindings(where: str = "dashboard") -> list[Binding]:
    return [
        Binding(
            k.keys, k.action, k.label, show=k.show, tooltip=k.help, id=k.id, priority=k.priority
        )
        for k in KEYS
        if k.bound and k.where == where
    ]
