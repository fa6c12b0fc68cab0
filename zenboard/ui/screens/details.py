"""A test's details: outcome, worker, duration, the full traceback per phase, captured output.

Everything comes from the test's record (pytest-json-report's per-test shape, as streamed),
plus, for a test with a mixed history, how often it passed lately and its pass/fail pattern.
`t` reruns this test from here and the screen stays: it follows the test's record in the model
(`source`), says `running again…` while the test has no result and shows the new one when it
comes, so the person who asked for the rerun sees its outcome where they asked. escape goes back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from zenboard.model.state import TestResult
from zenboard.tasks.beside import Beside
from zenboard.tasks.container_logs import clock_text
from zenboard.tasks.service_events import window
from zenboard.ui.keys import bindings
from zenboard.ui.render import OUTCOME_STYLE, duration_text
from zenboard.ui.safe_text import literal, visible
from zenboard.ui.screens.scrolling import ScrollingModal
from zenboard.ui.sources.history import flaky_summary

PHASES = ("setup", "call", "teardown", "???")
FOLLOW_SECONDS = 0.2
"""How often the screen looks for a new record of its test."""
BesideSource = Callable[[float, float], Beside | None]
"""What the task's services did and logged in a window (blocks on Docker; None: no tasks)."""
DetailsSource = Callable[[], tuple[TestResult | None, str | None]]
"""The test's record now (None while it runs again) and its flaky pattern (None: not flaky)."""
PATTERN_STYLE = {"P": "green", "F": "bold red"}


def flaky_text(pattern: str) -> Text:
    """`flaky: passed 3 of last 4 runs  PFPP` (oldest first; P passed, F failed or error)."""
    text = Text()
    text.append("⚑ flaky", style="bold yellow")
    text.append(f": {flaky_summary(pattern)}  ")
    for letter in pattern:
        text.append(letter, style=PATTERN_STYLE.get(letter, "dim"))
    text.append("  (oldest first)", style="dim")
    return text


def details_text(suite: str, test: TestResult, flaky_pattern: str | None = None) -> Text:
    """The screen's text. A `Text`, never markup: the test's id, reason, tracebacks and output
    show exactly as written (`[/]` too), with control characters spelled out; tracebacks and
    captured output keep their newlines and tabs."""
    text = Text()
    text.append(f"{visible(test.nodeid)}\n", style="bold")
    text.append(f"suite {suite}   worker {visible(test.worker)}   ", style="dim")
    text.append(visible(test.outcome), style=OUTCOME_STYLE.get(test.outcome, ""))
    text.append(f"   duration {duration_text(test.duration)}\n", style="dim")
    if flaky_pattern:
        text.append_text(flaky_text(flaky_pattern))
        text.append("\n")
    if test.failed:
        text.append(f"\n{visible(test.reason())}\n", style="bold red")
    shown = False
    for phase in PHASES:
        stage: Any = test.record.get(phase)
        if not isinstance(stage, dict):
            continue
        longrepr = str(stage.get("longrepr") or "")
        if longrepr and stage.get("outcome") != "passed":
            shown = True
            text.append(f"\n── {phase}: traceback ──\n", style="bold yellow")
            text.append(visible(longrepr.rstrip(), multiline=True) + "\n")
        for stream in ("stdout", "stderr"):
            captured = str(stage.get(stream) or "")
            if captured:
                shown = True
                text.append(f"\n── {phase}: captured {stream} ──\n", style="bold cyan")
                text.append(visible(captured.rstrip(), multiline=True) + "\n")
    if not shown:
        text.append("\nno traceback or captured output recorded\n", style="dim")
    return text


def services_text(found: Beside) -> Text:
    """The services' section: their events and log lines in the test's window, oldest first;
    events bold, log lines plain, all spelled out (a container's words are untrusted)."""
    text = Text()
    span = f"{clock_text(found.since)} to {clock_text(found.until)}"
    text.append(f"\n── services during this test ({span}) ──\n", style="bold magenta")
    rows = found.lines()
    if not rows:
        text.append("nothing: no health flip, restart, exit or log line\n", style="dim")
    for _, line, is_event in rows:
        text.append_text(literal(line, style="bold yellow" if is_event else ""))
        text.append("\n")
    return text


class TestDetailsScreen(ScrollingModal):
    __test__ = False  # not a pytest class, whatever its name
    BODY_ID = "details-body"
    BINDINGS: ClassVar[list[BindingType]] = list(bindings("details"))

    def __init__(
        self,
        suite: str,
        test: TestResult,
        flaky_pattern: str | None = None,
        source: DetailsSource | None = None,
        beside: BesideSource | None = None,
    ) -> None:
        """The details of `test`, a test of `suite`.

        Args:
            suite: The test's suite.
            test: The test as the model held it when the screen opened.
            flaky_pattern: Its recent outcomes when its history is mixed (None: not flaky).
            source: Where to read the test's current record (None: show `test` only).
            beside: Where to read what the task's services did in a failure's window (None:
                nothing to show).
        """
        super().__init__(id="details")
        self.suite = suite
        self.test = test
        self.flaky_pattern = flaky_pattern
        """The test's recent outcomes when its history is mixed (None: not flaky)."""
        self.source = source
        """Where to read the test's current record (None: the screen shows `test` only)."""
        self.beside = beside
        self.services: Beside | None = None
        """What the services did in the shown failure's window (None until read, or none)."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="details-body") as body:
            body.border_title = f"{self.suite}: details"
            yield Static(details_text(self.suite, self.test, self.flaky_pattern), id="details-text")
            services = Static(Text(), id="details-services")
            services.display = False  # shown once there is something to say (a failure's)
            yield services
        yield Footer()

    def on_mount(self) -> None:
        if self.source is not None:
            self.set_interval(FOLLOW_SECONDS, self.follow)
        self.read_services()

    def read_services(self) -> None:
        """For a failure, ask (off the UI thread) what the services did in its window."""
        test, beside = self.test, self.beside
        if beside is None or not test.failed or test.finished_at is None:
            return
        since, until = window(test.started_at, test.finished_at, test.duration)

        def read() -> None:
            found = beside(since, until)
            if found is not None:
                self.app.call_from_thread(self._show_services, test, found)

        self.run_worker(read, thread=True, group="beside", exclusive=True, exit_on_error=False)

    def _show_services(self, test: TestResult, found: Beside) -> None:
        if test is not self.test:  # a newer result came meanwhile: its own read follows
            return
        self.services = found
        for static in self.query("#details-services").results(Static):
            static.update(services_text(found))
            static.display = True

    def follow(self) -> None:
        """Show the test's newest record: `running again…` while it has none, then the new one."""
        if self.source is None:
            return
        test, pattern = self.source()
        if test is None:
            self.note("running again…")
            return
        if test is self.test and pattern == self.flaky_pattern:
            return
        if test is not self.test:
            self.note(f"new result: {test.outcome}")
        renewed = test is not self.test
        self.test, self.flaky_pattern = test, pattern
        self.query_one("#details-text", Static).update(details_text(self.suite, test, pattern))
        if renewed:
            self.services = None
            services = self.query_one("#details-services", Static)
            services.update(Text())
            services.display = False
            self.read_services()

    def note(self, text: str) -> None:
        """`text` after the title (the bottom edge is where notifications cover it)."""
        body = self.query_one("#details-body", VerticalScroll)
        title = Text(f"{self.suite}: details")
        title.append_text(literal(f"  {text}", style="bold"))  # never markup
        body.border_title = title

    def action_rerun_test(self) -> None:
        """Rerun this test and stay: `follow` shows its new result here."""
        if self.source is not None:
            self.note("running again…")
        self.app.call_later(
            self.app.run_action, f"rerun_test_named({self.suite!r}, {self.test.nodeid!r})"
        )
