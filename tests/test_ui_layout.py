"""The dashboard's layout, keys, palette and header (Pilot), on the snapshot tests' fixed scenario.

- A resize lays the screen out as a fresh start at the new size does, both ways, also when it
  happens under a modal screen.
- 80x24 shows at least three suite cards; an empty ports/containers panel takes one line, and a
  project without tasks has no such row.
- Help lists every binding (the dashboard's, the test list's, the details' and its own) by the
  name people write (`/`, `?`, `j/↓`, `page down`), never Textual's (`slash`, `question_mark`);
  docs/keys.md lists the same keys and ids.
- The command palette lists zenboard's commands first, Textual's kept ones after.
- The header times the current or the last run, not the time since the first one.
- The details screen stays open on `t` and shows the rerun's result (a real pytest run).
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.binding import Binding, BindingType
from textual.command import CommandList, CommandPalette
from textual.containers import ScrollableContainer
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget

from tests.helpers import DASHBOARD_PROJECT, press_until, settled, wait_until, write_project
from tests.test_ui_snapshots import NOW, PYPROJECT, T0, WITH_DOCKER, running_events
from zenboard.config import load_config
from zenboard.model import events as ev
from zenboard.ui.app import ZenboardApp
from zenboard.ui.keys import KEYS, key_name, keys_text
from zenboard.ui.launcher import make_app
from zenboard.ui.screens.details import TestDetailsScreen
from zenboard.ui.screens.help import TITLES, HelpScreen
from zenboard.ui.session import Session
from zenboard.ui.sources.history import HistoryProblem
from zenboard.ui.sources.infra import InfraSnapshot, StaticInfra
from zenboard.ui.widgets.suite_card import SuiteCard
from zenboard.ui.widgets.tests_list import TestsList

DOCS = Path(__file__).resolve().parent.parent / "docs" / "keys.md"
RAW_NAMES = ("question_mark", "slash", "pagedown", "pageup", "escape", "j,down", "k,up")


@pytest.fixture
def make(tmp_path: Path) -> Callable[..., ZenboardApp]:
    """The snapshot tests' project and events, a frozen clock, no processes."""
    root = tmp_path / "shop"
    root.mkdir()
    (root / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT), encoding="utf-8")

    def build(
        events: list[ev.Event] | None = None,
        infra: InfraSnapshot = WITH_DOCKER,
        clock: Callable[[], float] = lambda: NOW,
    ) -> ZenboardApp:
        session = Session(load_config(root), report_dir=tmp_path / "reports", clock=clock)
        session.fold(running_events() if events is None else events)
        return ZenboardApp(session, run_at_start=False, infra=StaticInfra(infra))

    return build


def screen_text(app: ZenboardApp) -> str:
    """Every character on screen, modal screens and all, as the terminal shows it."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def regions(app: ZenboardApp) -> dict[str, tuple[int, int, int, int]]:
    """Where each widget with an id sits on the main screen (hidden ones: an empty region)."""
    main = app.screen_stack[0]
    return {w.id: tuple(w.region) for w in main.query("*") if w.id}  # type: ignore[misc]


async def settle(pilot: Pilot[Any]) -> None:
    """Let resize timers, style updates and the layouts they cause all land."""
    for _ in range(3):
        await pilot.pause(0.05)


async def drawn(
    make: Callable[..., ZenboardApp], size: tuple[int, int], resize_to: tuple[int, int] | None
) -> tuple[str, dict[str, tuple[int, int, int, int]], frozenset[str]]:
    app = make()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        if resize_to is not None:
            await pilot.resize_terminal(*resize_to)
            await settle(pilot)
        return screen_text(app), regions(app), frozenset(app.screen.classes)


@pytest.mark.parametrize(
    ("size", "start"), [((80, 24), (160, 45)), ((220, 60), (80, 24)), ((160, 45), (80, 24))]
)
async def test_a_resize_lays_out_as_a_fresh_start_at_that_size(
    make: Callable[..., ZenboardApp], size: tuple[int, int], start: tuple[int, int]
) -> None:
    fresh = await drawn(make, size, None)
    resized = await drawn(make, start, size)
    assert resized[2] == fresh[2]  # the breakpoint classes
    assert resized[1] == fresh[1]  # every widget's region
    assert resized[0] == fresh[0]  # every character, the footer's keys included


async def test_a_resize_under_the_help_screen_applies_when_it_closes(
    make: Callable[..., ZenboardApp],
) -> None:
    fresh = await drawn(make, (80, 24), None)
    app = make()
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.press("?")
        await settle(pilot)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert regions(app) == fresh[1]
        assert screen_text(app) == fresh[0]


def fully_visible(widget: Widget, frame: Widget) -> bool:
    region = widget.region
    return bool(region) and frame.region.intersection(region) == region


async def test_80x24_shows_three_cards_the_infra_row_and_every_key(
    make: Callable[..., ZenboardApp],
) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        suites = app.query_one("#suites")
        cards = [card for card in app.query(SuiteCard) if fully_visible(card, suites)]
        assert len(cards) >= 3, [c.config.name for c in cards]
        assert all(card.compact for card in app.query(SuiteCard))
        assert fully_visible(app.query_one(TestsList), app.screen)
        assert app.ports_panel.region.height == 5  # three ports in a frame
        footer = screen_text(app).splitlines()[-1]
        for key, label in (("r", "Rerun"), ("/", "Filter"), ("?", "Help"), ("q", "Quit")):
            assert f"{key} {label}" in footer
    app = make()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        assert not any(card.compact for card in app.query(SuiteCard))  # lanes when there's room


async def test_empty_infra_panels_take_a_line_and_no_tasks_no_row(
    make: Callable[..., ZenboardApp],
) -> None:
    empty = InfraSnapshot(task="task-42", has_tasks=True)
    app = make(infra=empty)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.ports_panel.region.height == 1
        assert app.containers_panel.region.height == 1
        text = screen_text(app)
        assert "ports: none assigned" in text and "containers: none up for this task" in text
    app = make(infra=InfraSnapshot())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.query_one("#infra").region.height == 0
        assert "no task ports configured" not in screen_text(app)
        suites = app.query_one("#suites")
        cards = [card for card in app.query(SuiteCard) if fully_visible(card, suites)]
        assert len(cards) == 4  # every card of the scenario


def plain(renderable: Any, width: int = 120) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def sections(text: str, titles: dict[str, str]) -> dict[str, str]:
    """`text` cut at each title (in `titles`' order): where -> the text under it."""
    found: dict[str, str] = {}
    order = list(titles.items())
    for index, (where, title) in enumerate(order):
        start = text.index(title) + len(title)
        end = text.find(order[index + 1][1], start) if index + 1 < len(order) else len(text)
        found[where] = text[start:end]
    return found


def shown_keys(section: str) -> set[str]:
    """The key column of a help section (two spaces or more part it from the description)."""
    return {re.split(r"\s{2,}", line.strip())[0] for line in section.splitlines() if line.strip()}


def names(bindings: list[BindingType]) -> set[str]:
    return {key_name(b.key) for b in Binding.make_bindings(bindings)}


BOUND = {
    "dashboard": ZenboardApp.BINDINGS,
    "test list": TestsList.BINDINGS,
    "details": TestDetailsScreen.BINDINGS,
    "help": HelpScreen.BINDINGS,
}
"""Every binding help must list, by where it works."""


def help_names(section: str) -> set[str]:
    """Each key named in a help section (a row's `j/↓` names `j` and `↓`)."""
    return {
        name
        for keys in shown_keys(section)
        for name in ([keys] if keys == "/" else keys.split("/"))
    }


async def test_help_lists_every_binding_by_the_name_people_write(
    make: Callable[..., ZenboardApp],
) -> None:
    app = make()
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.press("?")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        shown = app.screen.query_one("#help-text")
        width, height = shown.size  # all of it, scrolled into view or not
        text = "\n".join(strip.text for strip in shown.render_lines(Region(0, 0, width, height)))
        body = app.screen.query_one("#help-body", ScrollableContainer)
        assert body.max_scroll_y > 0  # more than fits: the scroll keys it lists matter
        await pilot.press("j", "j")
        assert body.scroll_y == 2
        await pilot.press("end")
        assert body.scroll_y == body.max_scroll_y
        await pilot.press("k")
        assert body.scroll_y == body.max_scroll_y - 1
    for raw in RAW_NAMES:
        assert raw not in text
    by_where = sections(text, TITLES)
    for where, bound in BOUND.items():
        missing = names(bound) - help_names(by_where[where])
        assert not missing, f"{where}: {missing} not in help"
    # The details and the help scroll with their scroll view's own keys: page, home and end.
    scroll = {
        key_name(b.key)
        for b in Binding.make_bindings(ScrollableContainer.BINDINGS)
        if b.key in ("pageup", "pagedown", "home", "end")
    }
    for where in ("details", "help"):
        assert scroll <= help_names(by_where[where]), where
    assert {"/", "?", "j", "↓", "ctrl+p", "page down", "home"} <= help_names(text)


def test_key_names_are_as_people_write_them() -> None:
    assert [key_name(k) for k in ("slash", "question_mark", "pagedown", "escape", "ctrl+p")] == [
        "/",
        "?",
        "page down",
        "esc",
        "ctrl+p",
    ]
    assert keys_text("j,down") == "j/↓" and keys_text("escape,q,?") == "esc/q/?"


def test_docs_keys_lists_every_key_and_id_of_the_table() -> None:
    doc = DOCS.read_text(encoding="utf-8")
    headings = {
        "dashboard": "## Dashboard",
        "test list": "## In the test list",
        "containers": "## In the containers panel",
        "filter box": "## In the filter box",
        "details": "## In a test's details",
        "logs": "## In a service's logs",
        "tasks": "## In the tasks screen",
        "help": "## In the help",
    }
    by_where = sections(doc, {**headings, "end": "## Ids and the palette"})
    for key in KEYS:
        assert f"| `{keys_text(key.keys)}` |" in by_where[key.where], (key.where, key.keys)
        if key.bound:
            assert f"`{key.id}`" in doc, key.id
    rows = re.findall(r"^\| `([^`]+)` \|", doc, flags=re.MULTILINE)
    table = {keys_text(key.keys) for key in KEYS}
    assert set(rows) <= table  # no key documented that the table does not have
    for raw in RAW_NAMES:
        assert f"`{raw}`" not in doc


async def palette_titles(pilot: Pilot[Any], app: ZenboardApp, query: str = "") -> list[str]:
    await pilot.press("ctrl+p")
    await pilot.pause(0.1)
    assert isinstance(app.screen, CommandPalette)
    if query:
        await pilot.press(*query)
    await pilot.pause(0.6)  # the palette gathers hits in batches of a quarter second
    options = app.screen.query_one(CommandList)
    titles = [
        str(options.get_option_at_index(i).prompt).split("\n")[0]
        for i in range(options.option_count)
    ]
    await pilot.press("escape")
    return titles


async def test_the_palette_lists_zenboards_commands_first(
    make: Callable[..., ZenboardApp],
) -> None:
    app = make()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        titles = await palette_titles(pilot, app)
        assert titles[:2] == ["Run all suites", "Rerun failed tests of all suites"]
        assert "Rerun failed tests of unit-fast" in titles and "Cancel e2e" in titles
        assert titles[-1] == "Change theme"  # Textual's, after every one of zenboard's
        for gone in ("Maximize", "Screenshot", "Keys", "Theme"):
            assert gone not in titles
        assert titles.count("Quit") == 1  # zenboard's: it cancels the runs first
        assert all(t[0].isupper() for t in titles)  # one wording: sentence case verbs
        found = await palette_titles(pilot, app, "the")
        assert "Change theme" in found and found[-1] == "Change theme"
        assert found.index("Change theme") > 0  # zenboard's matches ("Rerun the ...") first


async def test_the_header_times_the_last_run_not_the_time_since_the_first(
    make: Callable[..., ZenboardApp],
) -> None:
    now = [T0 + 20.0]
    app = make(
        events=[  # `a`: two suites, 10 s
            ev.SuiteLaunched("integration", ("pytest",), 1, T0),
            ev.SuiteLaunched("processing", ("pytest",), 2, T0 + 0.5),
            ev.SuiteExited("processing", 0, T0 + 6.0),
            ev.SuiteExited("integration", 0, T0 + 10.0),
        ],
        clock=lambda: now[0],
    )
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        assert "10.0s" in plain(app.header.render(), 160)
        now[0] = T0 + 100.0  # an idle minute and a half, then a rerun of one test of one suite
        app.session.fold([ev.SuiteLaunched("processing", ("pytest",), 3, T0 + 99.0, ("t",))])
        assert " 1.0s" in plain(app.header.render(), 160)  # running: since it started
        app.session.fold([ev.SuiteExited("processing", 0, T0 + 102.6)])
        now[0] = T0 + 130.0
        header = plain(app.header.render(), 160)
        assert "3.6s" in header and "1m" not in header


async def test_a_history_problem_names_the_file_from_the_project_root(
    make: Callable[..., ZenboardApp],
) -> None:
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        root = app.session.config.root
        app.post_message(
            HistoryProblem(f"history not read: {root}/.zenboard/history.db: damaged: move it aside")
        )
        await settle(pilot)
        assert app.said[-1] == "history not read: .zenboard/history.db: damaged: move it aside"


def test_the_output_names_the_published_report_not_the_staging_folder(tmp_path: Path) -> None:
    project = write_project(tmp_path / "shop", DASHBOARD_PROJECT)
    session = Session(load_config(project), report_dir=tmp_path / "reports")
    try:
        staged = session.engine.staging_dir / "unit.json"
        assert session.published(f"report saved to: {staged}") == (
            f"report saved to: {tmp_path / 'reports' / 'unit.json'}"
        )
        assert session.published("1 passed") == "1 passed"
    finally:
        session.shutdown()


@pytest.mark.slow
async def test_t_in_the_details_reruns_the_test_and_shows_its_new_result(tmp_path: Path) -> None:
    project = write_project(tmp_path / "shop", DASHBOARD_PROJECT)
    app = make_app(project, run_at_start=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: settled(app), "the first run")
        await pilot.press("tab")
        table = app.query_one(TestsList)
        beta = ("solo", "tests/test_solo.py::test_beta")
        await press_until(pilot, "j", lambda: table.selected() == beta, "solo's test_beta")
        await pilot.press("enter")
        details = app.screen
        assert isinstance(details, TestDetailsScreen)
        first = details.test
        await pilot.press("t")
        await wait_until(
            pilot, lambda: settled(app) and app.session.state.suites["solo"].runs == 2, "rerun"
        )
        await wait_until(pilot, lambda: details.test is not first, "the new result shown")
        assert app.screen is details  # still open
        body = details.query_one("#details-body")
        assert "new result: failed" in str(body.border_title)
        assert "beta speaks" in str(details.query_one("#details-text").render())
        await pilot.press("escape")
        await pilot.press("j")  # solo's card is selected: its output shows the report saved
        log = app.log_panel
        await wait_until(pilot, lambda: log.suite == "solo", "solo's output")
        lines = [log.shown(line) for line in log.lines]
        saved = [line for line in lines if "report saved to:" in line]
        assert saved and all(str(app.session.report_dir) + "/solo.json" in s for s in saved)
        assert not any("/.run-" in line for line in lines)


async def test_the_output_keeps_following_its_end_through_a_round_trip_resize(
    make: Callable[..., ZenboardApp],
) -> None:
    """160x45 -> 80x24 -> 160x45 shows the end of the output, as a fresh start does."""
    lines = [ev.OutputLine("unit-fast", f"output line {i}") for i in range(200)]
    app = make([*running_events(), *lines])
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        more = [ev.OutputLine("unit-fast", f"output line {i}") for i in range(200, 230)]
        app.session.buffer.extend(more)  # output goes on arriving while the panel is folded
        await settle(pilot)
        await pilot.resize_terminal(160, 45)
        await settle(pilot)
        assert "output line 229" in screen_text(app)
