"""A suite's card: state, progress, counts, duration, and one row per worker lane.

The card draws itself from the model in `render()`; the app calls `sync()` on every fold and the
card repaints only when its signature (what it would draw) changed. Idle cards show the command
that would run and the worker plan, so a person sees what `r` will do before pressing it.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group, RenderableType
from rich.text import Text
from textual.message import Message
from textual.widget import Widget

from zenboard.config import SuiteConfig
from zenboard.model.state import SuiteState, SuiteStatus
from zenboard.ui import render


class SuiteCard(Widget, can_focus=True):
    """One suite. Focus selects it: `r`, `c`, `f` and the log panel act on the selected suite."""

    class Selected(Message):
        """The card got focus: its suite is now the selected one."""

        def __init__(self, suite: str) -> None:
            super().__init__()
            self.suite = suite

    def __init__(self, config: SuiteConfig, state: SuiteState, clock: Callable[[], float]) -> None:
        super().__init__(id=f"suite-{config.name}", classes="suite-card")
        self.config = config
        self.state = state
        self.clock = clock
        self._signature: tuple[object, ...] = ()
        self._lines = 0
        self.border_title = config.name

    def signature(self) -> tuple[object, ...]:
        s = self.state
        running = s.status is SuiteStatus.RUNNING
        workers = tuple(
            (
                w.id,
                w.done,
                w.total,
                w.passed,
                w.failed,
                w.current,
                w.crashed,
                w.replaced_by,
                w.replaces,
            )
            for w in s.workers.values()
        )
        seconds = round(s.duration(self.clock()), 1) if running else s.duration(0.0)
        return (
            s.status,
            s.runs,
            s.done,
            s.total,
            tuple(s.counts.values()),
            workers,
            seconds,
            s.error,
            len(s.collect_errors),
            s.malformed + s.oversized,
            self.size.width,
        )

    def sync(self, suite: SuiteState | None = None) -> None:
        """Repaint if what the card shows changed (cheap to call on every fold)."""
        if suite is not None:
            self.state = suite
        signature = self.signature()
        if signature == self._signature:
            return
        self._signature = signature
        lines = self._line_count()
        self.refresh(layout=lines != self._lines)
        self._lines = lines
        self.set_class(self.state.status is SuiteStatus.RUNNING, "-running")
        self.set_class(self.state.status in (SuiteStatus.FAILED, SuiteStatus.ERROR), "-failed")
        self.set_class(self.state.status is SuiteStatus.PASSED, "-passed")

    def _line_count(self) -> int:
        s = self.state
        if s.status is SuiteStatus.IDLE:
            return 3
        notes = bool(s.collect_errors) + bool(s.error) + bool(s.malformed or s.oversized)
        return 2 + len(s.workers) + notes

    def on_focus(self) -> None:
        self.post_message(self.Selected(self.config.name))

    def on_resize(self) -> None:
        self.sync()

    def render(self) -> RenderableType:
        s = self.state
        width = max(self.content_size.width, 20)
        if s.status is SuiteStatus.IDLE:
            return Group(
                Text.assemble(("idle", render.status_style(s.status)), "  not run yet"),
                Text(
                    f"$ {self.config.command_preview()}",
                    style="italic",
                    overflow="ellipsis",
                    no_wrap=True,
                ),
                Text(
                    render.worker_plan(self.config), style="dim", overflow="ellipsis", no_wrap=True
                ),
            )
        head = Text(f"{s.status}", style=render.status_style(s.status))
        total = s.total
        head.append(f"  {s.done}/{total if total is not None else '?'} ")
        rerun = f"  rerun of {len(s.rerun_of)}" if s.rerun_of else ""
        bar_width = max(8, width - len(head.plain) - 9 - len(rerun))
        head.append_text(render.bar(render.fraction(s.done, total), bar_width, failed=s.failed > 0))
        head.append(f"  {render.duration_text(s.duration(self.clock())):>7}", style="bold")
        head.append(rerun, style="yellow")
        lines: list[RenderableType] = [head, render.counts_text(s.counts)]
        for worker in render.lanes(s):
            lines.append(render.worker_row(s, worker, width))
        notes = []
        if s.collect_errors:
            notes.append(f"{len(s.collect_errors)} collection error(s): {s.collect_errors[0][0]}")
        if s.error:
            notes.append(s.error)
        if s.malformed or s.oversized:
            notes.append(f"skipped event lines: {s.malformed} malformed, {s.oversized} oversized")
        for note in notes:
            lines.append(Text(note, style="magenta", overflow="ellipsis", no_wrap=True))
        return Group(*lines)
