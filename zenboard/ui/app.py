"""The zenboard dashboard app: composes the widgets, folds events on a timer, maps keys to commands.

Updates are batched on the app's clock: a timer (25 Hz) drains the engine's buffer, folds every
event into the model and repaints only what the batch changed. Nothing calls into the UI per
event, so thousands of events a second cost one repaint per tick. Engine commands never block
the event loop: starts and cancels go to the session's commander thread, quitting cancels in a
thread worker and exits when every process is gone. The run history is read and written only on
thread workers (`history_feed.py`): at start, and when a launch ends (recorded, then read again
for the flaky badges and the cards' duration trends).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

import zenboard
from zenboard.errors import InputError
from zenboard.model.state import SuiteStatus, TestResult
from zenboard.ui.gc_pacing import CollectorPacing
from zenboard.ui.keys import bindings, key_name, palette_commands
from zenboard.ui.launch_window import FinishedLaunch
from zenboard.ui.palette import THEME_TITLE, OrderedCommands, suite_commands
from zenboard.ui.safe_text import visible
from zenboard.ui.screens.main import DashboardScreen, paint_on_a_finer_grid
from zenboard.ui.service_actions import ServiceActions
from zenboard.ui.session import Batch, Session
from zenboard.ui.sources.history import (
    HistoryLoaded,
    HistoryProblem,
    HistorySource,
    HistoryView,
    ProjectHistory,
    load_quietly,
)
from zenboard.ui.sources.infra import InfraSource, StaticInfra
from zenboard.ui.watch_mode import WatchMode
from zenboard.ui.widgets.infra_panels import ContainersPanel, PortsPanel, nothing_to_show
from zenboard.ui.widgets.keys_footer import COMPACT_BELOW, KeysFooter
from zenboard.ui.widgets.log_panel import LogPanel
from zenboard.ui.widgets.run_header import RunHeader
from zenboard.ui.widgets.suite_card import SuiteCard
from zenboard.ui.widgets.tests_list import TestsList
from zenboard.words import plural

TICK_SECONDS = 1 / 25
SAID_KEPT = 100
PAINT_SECONDS = 1 / 10
"""Cards, header, test list and log repaint at most this often (the fold runs every tick)."""
INFRA_POLL_SECONDS = 0.5
NARROW_WIDTH = COMPACT_BELOW
"""Under this many columns the panels stack in one column (and the footer is compact)."""
SHORT_HEIGHT = 34
"""Under this many rows, stacked, the output panel folds away and the cards are compact."""


def styles_dir() -> Path:
    """`zenboard/styles` in an installed wheel, the repository's `styles/` in a checkout."""
    packaged = Path(zenboard.__file__).resolve().parent / "styles"
    return (
        packaged
        if packaged.is_dir()
        else Path(zenboard.__file__).resolve().parent.parent / "styles"
    )


EXIT_GRACE_SECONDS = 20.0
"""After SIGTERM, how long a clean quit may take before the process ends regardless."""


def preload_screens() -> None:
    """Import what `enter` and `?` open, after the first frame, so their first use is quick."""
    for module in ("zenboard.ui.screens.details", "zenboard.ui.screens.help"):
        importlib.import_module(module)


class ZenboardApp(App[int], ServiceActions):
    """The dashboard. Returns zenboard's exit code for the runs it saw (as `zenboard run`)."""

    CSS_PATH = [styles_dir() / "dashboard.tcss"]
    TITLE = "zenboard"
    BINDINGS: ClassVar[list[BindingType]] = list(bindings())
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {OrderedCommands}
    """`get_system_commands` in its own order: zenboard's first (see `palette.py`)."""
    HORIZONTAL_BREAKPOINTS: list[tuple[int, str]] | None = [
        (0, "-narrow"),
        (NARROW_WIDTH, "-wide"),
    ]
    """Textual sets one of these classes on every screen from the size in the resize event
    itself. The app's own `on_resize` ran before `App._on_resize` stored the new size, so it
    read the previous one and the layout was always one resize behind."""
    VERTICAL_BREAKPOINTS: list[tuple[int, str]] | None = [
        (0, "-short"),
        (SHORT_HEIGHT, "-tall"),
    ]

    def __init__(
        self,
        session: Session,
        run_at_start: bool = True,
        infra: InfraSource | None = None,
        watch_at_start: bool = False,
        history: HistorySource | None = None,
        services_at_start: bool = False,
    ) -> None:
        """
        Args:
            session: The engine, model and commander of the suites shown (`Session`).
            run_at_start: Start every suite of the session as soon as the app opens.
            infra: The ports and containers panels' source (None: a fixed, empty one).
            watch_at_start: Turn watch mode on as soon as the app opens (as `w` does).
            history: Where the flaky badges and duration trends are read from (None: the
                project's `.zenboard/history.db`).
            services_at_start: Start the task's Compose services as the app opens (as `u`).
        """
        paint_on_a_finer_grid()
        super().__init__()
        self.session = session
        self.run_at_start = run_at_start
        self.infra = infra or StaticInfra()
        self.selected_suite: str | None = session.suites[0].name if session.suites else None
        self.quitting = False
        self._signals: list[signal.Signals] = []
        self.watch_mode = WatchMode(session)
        self.watch_at_start = watch_at_start
        self.services_at_start = services_at_start
        self.pending = Batch()
        """What changed since the views were last painted (folds merge into it)."""
        self._painted = 0.0
        self.gc_pacing = CollectorPacing()
        self.said: deque[str] = deque(maxlen=SAID_KEPT)
        """The latest notifications' messages, after they faded (for the tests, and `say`)."""
        # The main screen's widgets, kept so the timer reaches them whatever screen is on top.
        state, clock = session.state, session.clock
        self.header = RunHeader(
            session.config.root.name,
            session.task,
            state,
            clock,
            session.launch,
            over_budget=lambda: session.over_budget,
        )
        self.cards = [SuiteCard(s, state.suites[s.name], clock) for s in session.suites]
        self.table = TestsList(state)
        self.ports_panel = PortsPanel()
        self.containers_panel = ContainersPanel()
        self.infra_row = Horizontal(id="infra")
        """Held, not queried: the poll can fire while another screen is active or at exit."""
        self.log_panel = LogPanel(state, session.published)
        config = session.config
        self.history = history or ProjectHistory(config.root, config.history, config.project)
        self.history_view = HistoryView()
        """The latest read of the history (flaky tests, suite trends); empty until read."""
        self._history_order = threading.RLock()
        """A record and the read after it post their results in the order they ran."""
        self._history_problems: set[str] = set()

    def get_default_screen(self) -> Screen[object]:
        """The main screen: focus moves (`j`, `k`, tab) repaint only what they change."""
        return DashboardScreen(id="_default")

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette's commands: the key table's, each suite's by name, then Textual's theme.

        Not Textual's Quit (it skips cancelling the runs first; zenboard's Quit does that),
        Keys (`?` shows every key), Maximize (the panels are laid out to fit) or Screenshot (it
        writes an SVG into the project).
        """
        commands = palette_commands()
        for suite in self.session.suites:
            commands += suite_commands(suite.name)
        commands += self.service_palette()
        for title, action, help_text in commands:
            yield SystemCommand(title, help_text, partial(self.run_action, action))
        yield SystemCommand(THEME_TITLE, "the dashboard's colours", self.action_change_theme)

    def get_key_display(self, binding: Binding) -> str:
        """Keys as people write them in every footer: `/`, `?`, `ctrl+p` (see `keys.key_name`)."""
        return binding.key_display or key_name(binding.key)

    # Layout

    def compose(self) -> ComposeResult:
        yield self.header
        with Horizontal(id="main"):
            with VerticalScroll(id="suites") as suites:
                suites.border_title = "suites"
                yield from self.cards
            with Vertical(id="side"):
                yield self.table
                with self.infra_row:
                    yield self.ports_panel
                    yield self.containers_panel
                yield self.log_panel
        yield Input(placeholder="filter tests by name (enter applies, escape clears)", id="filter")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.log_panel.show_suite(self.selected_suite)
        self.table.set_filter("")
        self.refresh_all()
        cards = self.cards
        if cards:
            cards[0].focus()
        self.set_interval(TICK_SECONDS, self.tick)
        self._install_signal_handlers()
        # The first frame first: ports, containers and the history fill in right after it.
        self.call_after_refresh(self._after_first_frame)
        if self.services_at_start:  # before the suites: those that need them wait for them
            self.action_services_up()
        if self.run_at_start:
            self.session.start()
        if self.watch_at_start:
            self.action_toggle_watch()

    def _after_first_frame(self) -> None:
        self.poll_infra()
        self.set_interval(INFRA_POLL_SECONDS, self.poll_infra)
        self.run_worker(
            self._read_history,
            thread=True,
            group="history",
            name="history-read",
            exit_on_error=False,
        )
        self.run_worker(
            preload_screens, thread=True, group="preload", name="preload", exit_on_error=False
        )

    def on_unmount(self) -> None:
        try:
            loop = asyncio.get_running_loop()
            for sig in self._signals:
                loop.remove_signal_handler(sig)
        except RuntimeError:
            pass
        self.watch_mode.stop()
        self.session.shutdown()
        self.infra.close()
        self.gc_pacing.release()

    def _install_signal_handlers(self) -> None:
        """SIGTERM quits as `q` does (runs cancelled, terminal restored); SIGHUP, the terminal
        gone, stops the runs and leaves at once: Textual's shutdown writes to the terminal and,
        with nobody reading it, blocks forever (seen: an app whose tmux session was killed)."""
        try:
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, self._terminated)
            self._signals.append(signal.SIGTERM)
            loop.add_signal_handler(signal.SIGHUP, self._hung_up)
            self._signals.append(signal.SIGHUP)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread (tests) or no signals on this platform

    def _terminated(self) -> None:
        self._exit_anyway_after(EXIT_GRACE_SECONDS, 143)
        self.action_quit_cleanly()

    def _hung_up(self) -> None:
        self._exit_anyway_after(0.0, 129)

    def _exit_anyway_after(self, seconds: float, code: int) -> None:
        """A thread that stops every run and ends the process if a clean exit has not by then.

        It runs beside a main thread that may be stuck inside Textual, so it must not need the
        event loop."""

        def watchdog() -> None:
            time.sleep(seconds)
            self.session.shutdown()
            os._exit(code)

        threading.Thread(target=watchdog, name="zenboard-exit-watchdog", daemon=True).start()

    # The fold

    def tick(self) -> None:
        batch = self.session.fold()
        if batch.finished_launch is not None and not self.quitting:
            record = partial(self._record_history, batch.finished_launch)
            self.run_worker(
                record, thread=True, group="history", name="history-record", exit_on_error=False
            )
        for trigger in self.watch_mode.after_fold(batch):
            self.header.watch_note = trigger.describe()
            self.say(trigger.describe(), title="watch", timeout=6)
        while self.watch_mode.errors:
            self.say(self.watch_mode.errors.pop(0), title="watch", severity="error")
        while self.session.errors:
            self.say(self.session.errors.pop(0), title="engine", severity="error", timeout=8)
        while self.session.budget_notes:
            self.say(self.session.budget_notes.pop(0), title="budget", severity="error", timeout=30)
        while self.session.warnings:
            shared = self.session.warnings.pop(0)
            self.say(shared, title="isolation: shared at once", severity="warning", timeout=30)
        if batch.events:
            self.pending.merge(batch)
        now = time.monotonic()
        self.gc_pacing.after_fold(self.session.state.running, now)
        if now - self._painted < PAINT_SECONDS:
            return
        self._painted = now
        self.apply_batch(self.pending)
        self.header.sync()

    def apply_batch(self, batch: Batch) -> None:
        """Repaint what `batch` changed. Every widget here keeps its size while tests stream
        (cards change height only when their lanes do), so this repaints them in place and
        never lays out the screen: a key press never waits behind a layout."""
        with self.batch_update():
            for card in self.cards:
                if card.config.name in batch.suites or card.state.status is SuiteStatus.RUNNING:
                    card.sync(self.session.state.suites[card.config.name])
            self.log_panel.add(batch.log_reset, batch.output)
            batch.log_reset.clear()
            batch.output.clear()
            batch.suites.clear()
            if batch.launched:
                self.table.drop_reset(batch.launched)
            if batch.tests:
                self.table.update_tests(batch.tests)
            batch.launched.clear()
            batch.tests.clear()

    def refresh_all(self) -> None:
        for card in self.cards:
            card.sync()
        self.header.sync()

    # History (thread workers post messages; handlers only hand plain data to the widgets)

    def _read_history(self) -> None:
        with self._history_order:
            view, problem = load_quietly(self.history)
            if problem:
                self.post_message(HistoryProblem(problem))
            if view is not None:
                self.post_message(HistoryLoaded(view))

    def _record_history(self, launch: FinishedLaunch) -> None:
        with self._history_order:
            try:
                problems = self.history.record(launch)
            except Exception as exc:  # a fault is shown, never fatal
                problems = [f"history not recorded: {type(exc).__name__}: {exc}"]
            for problem in problems:
                self.post_message(HistoryProblem(problem))
            self._read_history()

    @on(HistoryLoaded)
    def history_loaded(self, message: HistoryLoaded) -> None:
        view = self.history_view = message.view
        with self.batch_update():
            self.table.set_flaky(view.flaky)
            for card in self.cards:
                card.set_trend(view.trends.get(card.config.name, ()))

    @on(HistoryProblem)
    def history_problem(self, message: HistoryProblem) -> None:
        """Once, not after every run; the history's path relative to the project, so that
        what to do about it (`move it aside...`, at the end) fits in a small toast."""
        if message.text not in self._history_problems:
            self._history_problems.add(message.text)
            text = message.text.replace(f"{self.session.config.root}{os.sep}", "")
            self.say(text, title="history", severity="warning", timeout=15)

    def poll_infra(self) -> None:
        snap = self.infra.snapshot()
        self.infra_row.set_class(nothing_to_show(snap), "-none")
        self.ports_panel.show(snap)
        self.containers_panel.show(snap)

    # Selection

    @on(SuiteCard.Selected)
    def suite_selected(self, message: SuiteCard.Selected) -> None:
        if not self.screen_stack:
            return  # the app is closing: the card focused at start told it too late
        focused = self.focused
        if isinstance(focused, SuiteCard) and focused.config.name != message.suite:
            return  # focus moved on before this card's message arrived (keys typed fast)
        self.select(message.suite)

    @on(TestsList.Highlighted)
    def test_highlighted(self, message: TestsList.Highlighted) -> None:
        if self.table.has_focus:
            self.select(message.suite)

    @on(TestsList.Chosen)
    def test_chosen(self, message: TestsList.Chosen) -> None:
        self.show_details(message.suite, message.nodeid)

    def select(self, suite: str) -> None:
        if suite != self.selected_suite and suite in self.session.state.suites:
            self.selected_suite = suite
            self.log_panel.show_suite(suite)

    def action_select_suite(self, suite: str) -> None:
        for card in self.cards:
            if card.config.name == suite:
                card.focus()
        self.select(suite)

    def _move_card(self, step: int) -> None:
        cards = self.cards
        if not cards:
            return
        names = [c.config.name for c in cards]
        index = names.index(self.selected_suite) if self.selected_suite in names else 0
        target = cards[(index + step) % len(cards)]
        target.focus()
        target.scroll_visible()
        # Select now: focus (and its Selected message) lands later, and a second press typed
        # before it would otherwise move from the old card again.
        self.select(target.config.name)

    def action_next_pane(self) -> None:
        """tab: the selected suite's card -> the test list -> the output -> the containers (when
        there are any) -> the card."""
        if self.screen is not self.screen_stack[0] or not self.cards:
            self.screen.focus_next()
            return
        card = next((c for c in self.cards if c.config.name == self.selected_suite), self.cards[0])
        panes: list[Widget] = [card, self.table, self.log_panel]
        if self.containers_panel.rows:
            panes.append(self.containers_panel)
        focused = self.focused
        index = next((i for i, pane in enumerate(panes) if pane is focused), -1)
        if index == -1 and isinstance(focused, SuiteCard):
            index = 0
        panes[(index + 1) % len(panes)].focus()

    def action_next_card(self) -> None:
        self._move_card(1)

    def action_previous_card(self) -> None:
        self._move_card(-1)

    # Commands

    def say(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
    ) -> None:
        """A notification. Messages quote test ids, file names and errors, so they are never
        markup (a `[/]` in one would raise MarkupError and take the app down) and their control
        characters are spelled out; every notification of the dashboard goes through here.

        Args:
            message: The text shown, taken literally (also kept in `said`).
            title: The notification's title, taken literally ("": none).
            severity: Textual's severity: "information", "warning" or "error".
            timeout: Seconds it stays up (None: Textual's default).
        """
        self.said.append(visible(message))
        self.notify(
            visible(message), title=visible(title), severity=severity, timeout=timeout, markup=False
        )

    def _need_suite(self) -> str | None:
        if self.selected_suite is None:
            self.say("no suite selected", severity="warning")
        return self.selected_suite

    def action_rerun_suite(self) -> None:
        if (name := self._need_suite()) is not None:
            self.action_rerun_suite_named(name)

    def action_rerun_suite_named(self, name: str) -> None:
        self.session.start([name])
        self.say(f"running {name}", timeout=2)

    def action_run_all(self) -> None:
        self.session.start()
        self.say("running every suite", timeout=2)

    def action_rerun_failed(self) -> None:
        if (name := self._need_suite()) is not None:
            self.action_rerun_failed_named(name)

    def action_rerun_failed_named(self, name: str) -> None:
        nodeids = self.session.failed_nodeids(name)
        if not nodeids:
            self.say(f"no failed tests in {name}", timeout=3)
            return
        self.session.rerun_tests(name, nodeids)
        self.say(f"rerunning {plural(len(nodeids), 'failed test')} of {name}", timeout=2)

    def action_rerun_failed_all(self) -> None:
        names = [s.name for s in self.session.suites if self.session.failed_nodeids(s.name)]
        if not names:
            self.say("no failed tests", timeout=3)
        for name in names:
            self.action_rerun_failed_named(name)

    def action_rerun_test(self) -> None:
        chosen = self.table.selected()
        if chosen is None:
            self.say("select a test in the list first (tab, then arrows)", severity="warning")
            return
        self.action_rerun_test_named(*chosen)

    def action_rerun_test_named(self, suite: str, nodeid: str) -> None:
        self.session.rerun_tests(suite, (nodeid,))
        self.say(f"rerunning {nodeid}", timeout=2)

    def action_cancel_suite(self) -> None:
        if (name := self._need_suite()) is not None:
            self.action_cancel_suite_named(name)

    def action_cancel_suite_named(self, name: str) -> None:
        self.session.cancel(name)
        self.say(f"cancelling {name}", timeout=2)

    def action_cancel_all(self) -> None:
        self.say("cancelling every run", timeout=2)
        self.run_worker(self.session.cancel_all_now, thread=True, group="cancel", name="cancel-all")

    def action_details(self) -> None:
        chosen = self.table.selected()
        if chosen is not None:
            self.show_details(*chosen)

    def show_details(self, suite: str, nodeid: str) -> None:
        from zenboard.ui.screens.details import TestDetailsScreen  # not on the first frame's path

        test, pattern = self.details_source(suite, nodeid)
        if test is not None:
            source = partial(self.details_source, suite, nodeid)
            screen = TestDetailsScreen(
                suite, test, pattern, source=source, beside=self.infra.beside
            )
            self.push_screen(screen)

    def details_source(self, suite: str, nodeid: str) -> tuple[TestResult | None, str | None]:
        """The test's record now (None while it runs again) and its flaky pattern, if any."""
        test = self.session.state.suites[suite].tests.get(nodeid)
        return test, self.history_view.flaky.get((suite, nodeid))

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = self.table.filter
        box.add_class("-visible")
        box.focus()

    @on(Input.Submitted, "#filter")
    def filter_submitted(self, message: Input.Submitted) -> None:
        self._close_filter(message.value)

    def on_key(self, event: events.Key) -> None:
        box = self.query_one("#filter", Input)
        if event.key == "escape" and box.has_class("-visible"):
            self._close_filter("")

    def _close_filter(self, text: str) -> None:
        box = self.query_one("#filter", Input)
        box.remove_class("-visible")
        table = self.table
        table.set_filter(text)
        table.focus()

    def action_toggle_watch(self) -> None:
        """w: watch the project and rerun what each change affects, failed tests first."""
        if self.watch_mode.on:
            self.watch_mode.stop()
            self.header.watch_note = ""
            self.say("watch mode off", title="watch", timeout=3)
            return
        try:
            watched = self.watch_mode.start()
        except InputError as exc:
            self.say(str(exc), title="watch", severity="error", timeout=10)
            return
        self.header.watch_note = f"watching {watched}"
        self.say(f"watch mode on: watching {watched}", title="watch", timeout=3)

    def action_tasks(self) -> None:
        from zenboard.ui.screens.tasks import TasksScreen

        self.push_screen(TasksScreen(self.session.config))

    def action_help(self) -> None:
        from zenboard.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_quit_cleanly(self) -> None:
        """Cancel every run in a thread (the UI keeps drawing), then exit."""
        if self.quitting:
            return
        self.quitting = True
        if self.session.engine.running():
            self.say("cancelling runs before quitting...", timeout=10)
        self.run_worker(self._shut_down_then_exit, thread=True, group="quit", name="quit")

    def _shut_down_then_exit(self) -> None:
        self.session.shutdown()
        self.call_from_thread(self.exit, self.session.exit_code())
