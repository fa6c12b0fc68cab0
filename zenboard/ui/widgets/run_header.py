"""The top line: project, task, the run's overall state and how long the current run took.

A run is a launch (`launch_window.py`): what one action started (`a`, `r`, `f`, `t`, a watch
trigger), from its first suite's start to its last suite's end. The header shows the open
launch's time as it grows, then the last launch's, so a 3.6 s rerun reads 3.6 s, not the time
since the dashboard's first run.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.widget import Widget

from zenboard.model.state import RunState, SuiteStatus
from zenboard.ui import render
from zenboard.ui.launch_window import LaunchWindow
from zenboard.ui.safe_text import visible
from zenboard.words import plural


class RunHeader(Widget):
    def __init__(
        self,
        project: str,
        task: str,
        state: RunState,
        clock: Callable[[], float],
        launch: LaunchWindow,
        over_budget: Callable[[], bool] = lambda: False,
    ) -> None:
        """The header line for `project`'s runs.

        Args:
            project: The project's name as shown.
            task: The task id as shown.
            state: The model.
            clock: The wall clock.
            launch: The session's launch window: its open launch, or the latest one, is timed.
            over_budget: Whether the latest full launch went over a budget (it fails the run,
                so a green `passed` would contradict the exit code).
        """
        super().__init__(id="run-header")
        self.project = project
        self.task_id = task
        self.state = state
        self.clock = clock
        self.launch = launch
        """The session's launch window: its open launch, or the latest one, is the run timed."""
        self.over_budget = over_budget
        self.watch_note = ""
        self._signature: tuple[object, ...] = ()

    def run_seconds(self) -> float | None:
        return self.launch.duration(self.clock())

    def sync(self) -> None:
        seconds = self.run_seconds()
        shown = None if seconds is None else round(seconds, 1)
        shared = len(self.state.conflicts())
        signature = (
            self.state.status,
            self._overrun(),
            shown,
            self.watch_note,
            self.size.width,
            shared,
            *self._failed(),
        )
        if signature != self._signature:
            self._signature = signature
            self.refresh()

    def _overrun(self) -> bool:
        """Over budget, shown once the launch has ended (a new launch may yet be in time)."""
        return self.state.status.finished and self.over_budget()

    def _failed(self) -> tuple[int, int]:
        """Failed and errored tests that fail the run, and those the quarantine excuses."""
        suites = self.state.suites.values()
        excused = sum(s.quarantined_failed for s in suites)
        return sum(s.failed for s in suites) - excused, excused

    def render(self) -> Text:
        """A `Text` (never markup); the folder's name and the watch note (changed files'
        names) are shown with their control characters spelled out."""
        status = self.state.status
        text = Text.assemble(("zenboard", "bold"), "  ", (visible(self.project), "bold cyan"))
        if self.task_id and self.task_id != self.project:  # a worktree named after its task
            text.append(f"  task {visible(self.task_id)}", style="cyan")
        text.append("  ")
        label = "ready" if status is SuiteStatus.IDLE else str(status)
        style = render.status_style(status)
        if self._overrun():
            label, style = f"{label} · over budget", render.status_style(SuiteStatus.FAILED)
        text.append(f" {label} ", style=f"reverse {style}")
        failed, excused = self._failed()
        done = sum(s.done for s in self.state.suites.values())
        text.append(f"  {plural(done, 'test')}", style="bold")
        if failed:
            text.append(f"  {failed} failed", style="bold red")
        if excused:
            text.append(f"  {excused} quarantined (not counted)", style="italic yellow")
        shared = len(self.state.conflicts())
        if shared:  # two live workers used one database, media dir or port: see the warning
            text.append(f"  {plural(shared, 'shared resource')}", style="bold yellow")
        seconds = self.run_seconds()
        if status is not SuiteStatus.IDLE and seconds is not None:
            text.append(f"  {render.duration_text(seconds)}", style="bold")
        if self.watch_note:
            text.append(f"  {visible(self.watch_note)}", style="yellow")
        text.truncate(max(self.size.width, 10), overflow="ellipsis")
        return text
