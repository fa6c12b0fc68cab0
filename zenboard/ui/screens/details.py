"""A test's details: outcome, worker, duration, the full traceback per phase, captured output.

Everything comes from the test's record (pytest-json-report's per-test shape, as streamed),
plus, for a test with a mixed history, how often it passed lately and its pass/fail pattern.
`t` reruns this test from here too; escape goes back.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from zenboard.model.state import TestResult
from zenboard.ui.history_feed import flaky_summary
from zenboard.ui.render import OUTCOME_STYLE, duration_text
from zenboard.ui.safe_text import visible

PHASES = ("setup", "call", "teardown", "???")
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


class TestDetailsScreen(ModalScreen[None]):
    __test__ = False  # not a pytest class, whatever its name
    BINDINGS = [
        Binding("escape,q", "dismiss", "Back", id="details.back", tooltip="Back to the dashboard"),
        Binding(
            "t", "rerun_test", "Rerun test", id="details.rerun-test", tooltip="Run this test again"
        ),
        Binding("j,down", "scroll('down')", "Down", show=False),
        Binding("k,up", "scroll('up')", "Up", show=False),
    ]

    def __init__(self, suite: str, test: TestResult, flaky_pattern: str | None = None) -> None:
        super().__init__(id="details")
        self.suite = suite
        self.test = test
        self.flaky_pattern = flaky_pattern
        """The test's recent outcomes when its history is mixed (None: not flaky)."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="details-body") as body:
            body.border_title = f"{self.suite}: details"
            yield Static(details_text(self.suite, self.test, self.flaky_pattern), id="details-text")
        yield Footer()

    def action_scroll(self, direction: str) -> None:
        body = self.query_one("#details-body", VerticalScroll)
        if direction == "down":
            body.scroll_down(animate=False)
        else:
            body.scroll_up(animate=False)

    def action_rerun_test(self) -> None:
        self.dismiss()
        self.app.call_later(
            self.app.run_action, f"rerun_test_named({self.suite!r}, {self.test.nodeid!r})"
        )
