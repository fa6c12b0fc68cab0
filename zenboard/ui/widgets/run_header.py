"""The top line: project, task, the run's overall state and its elapsed time."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widget import Widget

from zenboard.model.state import RunState, SuiteStatus
from zenboard.ui import render
from zenboard.ui.safe_text import visible


def elapsed(state: RunState, now: float) -> float:
    """From the first start of the latest runs to now (running) or to the last finish."""
    ran = [s for s in state.suites.values() if s.started_at is not None]
    if not ran:
        return 0.0
    start = min(s.started_at for s in ran if s.started_at is not None)
    if state.running:
        return max(0.0, now - start)
    return max(0.0, max((s.finished_at or start) for s in ran) - start)


class RunHeader(Widget):
    def __init__(
        self, project: str, task: str, state: RunState, clock: Callable[[], float]
    ) -> None:
        super().__init__(id="run-header")
        self.project = project
        self.task_id = task
        self.state = state
        self.clock = clock
        self.watch_note = ""
        self._signature: tuple[object, ...] = ()

    def sync(self) -> None:
        seconds = elapsed(self.state, self.clock())
        signature = (self.state.status, round(seconds, 1), self.watch_note, self.size.width)
        if signature != self._signature:
            self._signature = signature
            self.refresh()

    def render(self) -> Text:
        """A `Text` (never markup); the folder's name and the watch note (changed files'
        names) are shown with their control characters spelled out."""
        status = self.state.status
        text = Text.assemble(("zenboard", "bold"), "  ", (visible(self.project), "bold cyan"))
        if self.task_id and self.task_id != self.project:  # a worktree named after its task
            text.append(f"  task {visible(self.task_id)}", style="cyan")
        text.append("  ")
        label = "ready" if status is SuiteStatus.IDLE else str(status)
        text.append(f" {label} ", style=f"reverse {render.status_style(status)}")
        failed = sum(s.failed for s in self.state.suites.values())
        done = sum(s.done for s in self.state.suites.values())
        text.append(f"  {done} tests", style="bold")
        if failed:
            text.append(f"  {failed} failed", style="bold red")
        if status is not SuiteStatus.IDLE:
            text.append(
                f"  {render.duration_text(elapsed(self.state, self.clock()))}", style="bold"
            )
        if self.watch_note:
            text.append(f"  {visible(self.watch_note)}", style="yellow")
        text.truncate(max(self.size.width, 10), overflow="ellipsis")
        return text
