"""A suite's card: state, progress, counts, duration, and one row per worker lane.

It draws itself from the model a line at a time (Textual's Line API): the app calls `sync()` on
every paint and the card repaints only the lines whose text changed. An idle card shows the
command `r` would run and the worker plan. With a history, the end of the counts line (the state
line when idle) shows recent wall times as a sparkline and the last one against their median.
Compact, in a small terminal (stacked and short, 80x24), it keeps its name on a top rule, the
state and counts lines, a line per crashed lane and the notes; it reads the screen's breakpoint
classes when its styles are updated. Why: docs/architecture.md, "Cards drawn a line at a time".
"""

from __future__ import annotations

from collections.abc import Callable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.dom import NoScreen
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from zenboard.config import SuiteConfig
from zenboard.engine.commands import command_preview
from zenboard.model.state import SuiteState, SuiteStatus
from zenboard.ui import render
from zenboard.ui.safe_text import literal
from zenboard.words import plural

INTERRUPTED_NAMED = 3
"""Interrupted tests a card names (summary.json lists them all)."""
COMPACT_ON = ("-narrow", "-short")
"""Screen classes (breakpoints, see `ZenboardApp`) that, together, make every card compact."""


def unreported(suite: SuiteState) -> int:
    """The suite's unreported tests; counted only when it has errors, which they are among
    (counting walks every result: a card must not pay that on each paint of a clean run)."""
    return suite.unreported if suite.counts.get("error") else 0


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
        self._texts: list[Text] = []
        """The lines on screen; `render_line` draws them (a `Strip` each, kept until changed)."""
        self._strips: list[Strip | None] = []
        self._style: Style | None = None
        """`rich_style` as of the last style update (Textual works it out anew on each read)."""
        self.border_title = config.name
        self.trend: tuple[float, ...] = ()
        """Wall times of the suite's last complete recorded runs, oldest first (none: no trend)."""
        self.compact = False
        """No lane rows (a small terminal): follows the screen's classes, see `COMPACT_ON`."""

    def set_trend(self, durations: list[float] | tuple[float, ...]) -> None:
        """Show these recent durations (read from the history on a thread); repaints one line."""
        trend = tuple(durations)
        if trend == self.trend:
            return
        self.trend = trend
        self.tooltip = (
            f"last {len(trend)} complete runs: "
            + ", ".join(render.duration_text(d) for d in trend)
            + f" (median {render.duration_text(render.median(list(trend)))})"
            if trend
            else None
        )
        self.sync()

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
                w.restarts,
                w.current_since,
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
            s.quarantined_failed,
            workers,
            seconds,
            s.error,
            len(s.collect_errors),
            s.malformed + s.oversized,
            (unreported(s), len(s.not_run), len(s.interrupted), s.corrected, s.flaky),
            self.trend,
            self.compact,
            self.size.width,
            s.waiting_for,
            int(s.waited),
        )

    def sync(self, suite: SuiteState | None = None) -> None:
        """Repaint what changed (cheap to call on every fold)."""
        if suite is not None:
            self.state = suite
        signature = self.signature()
        if signature == self._signature:
            return
        self._signature = signature
        self._redraw()
        self.set_class(self.state.status is SuiteStatus.RUNNING, "-running")
        self.set_class(self.state.status in (SuiteStatus.FAILED, SuiteStatus.ERROR), "-failed")
        self.set_class(self.state.status is SuiteStatus.PASSED, "-passed")

    def _redraw(self) -> None:
        """Lay the screen out only when the card's height changes (lanes come or go); otherwise
        repaint just the lines whose text changed, in place."""
        texts = self.lines()
        if len(texts) != len(self._texts):
            self._texts, self._strips = texts, [None] * len(texts)
            self.refresh(layout=True)
            return
        width = self.content_size.width
        for y, (old, new) in enumerate(zip(self._texts, texts, strict=True)):
            if old != new:
                self._strips[y] = None
                self.refresh(Region(0, y, width, 1))
        self._texts = texts

    def on_focus(self) -> None:
        self.post_message(self.Selected(self.config.name))

    def on_resize(self) -> None:
        self.sync()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips = [None] * len(self._texts)  # focus changes the background
        self._style = None
        compact = self._screen_is_small()
        if compact != self.compact:
            self.compact = compact
            self.sync()

    def _screen_is_small(self) -> bool:
        try:
            classes = self.screen.classes
        except NoScreen:  # not on a screen yet
            return False
        return all(name in classes for name in COMPACT_ON)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._texts) if self._texts else len(self.lines())

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        if not 0 <= y < len(self._texts):
            return Strip.blank(width, self.line_style())
        strip = self._strips[y]
        if strip is None or strip.cell_length != width:
            text = self._texts[y].copy()
            text.truncate(width, overflow="ellipsis")
            style = self.line_style()
            segments = Segment.apply_style(text.render(self.app.console), style)
            strip = Strip(segments).adjust_cell_length(width, style)
            self._strips[y] = strip
        return strip

    def line_style(self) -> Style:
        """The card's text style (colours, background), kept until its styles change."""
        if self._style is None:
            self._style = self.rich_style
        return self._style

    def lines(self) -> list[Text]:
        """What the card shows, a line each (the tests read it as the person would)."""
        s = self.state
        width = max(self.content_size.width, 20)
        if s.status is SuiteStatus.IDLE:
            idle = [
                self._with_trend(
                    Text.assemble(("idle", render.status_style(s.status)), "  not run yet"), width
                ),
                literal(f"$ {command_preview(self.config)}", style="italic"),  # args: a file's
                Text(render.worker_plan(self.config), style="dim"),
            ]
            return idle[:2] if self.compact else idle
        if s.status is SuiteStatus.WAITING:
            waiting = [
                Text.assemble(
                    ("waiting", render.status_style(s.status)),
                    f"  waiting for {s.waiting_for}, {s.waited:.0f} s",
                ),
                Text(f"$ {command_preview(self.config)}", style="italic"),
                Text(render.worker_plan(self.config), style="dim"),
            ]
            return waiting[:2] if self.compact else waiting
        head = Text(f"{s.status}", style=render.status_style(s.status))
        total = s.total
        head.append(f"  {s.done}/{total if total is not None else '?'} ")
        rerun = f"  rerun of {len(s.rerun_of)}" if s.rerun_of else ""
        if s.start:  # how a rerun of a few tests started: forked warm, or cold (see its output)
            rerun += "  warm" if s.start == "warm" else "  cold start"
        bar_width = max(8, width - len(head.plain) - 9 - len(rerun))
        excused = s.quarantined_failed
        bar = render.bar(render.fraction(s.done, total), bar_width, failed=s.failed > excused)
        head.append_text(bar)
        head.append(f"  {render.duration_text(s.duration(self.clock())):>7}", style="bold")
        head.append(rerun, style="yellow")
        counts = render.counts_text(s.counts)
        if excused:  # pytest counts them; the run does not
            counts.append(f"  ({excused} quarantined: not counted)", style="italic yellow")
        lines = [head, self._with_trend(counts, width)]
        for worker in render.lanes(s):
            if worker.crashed or not self.compact:  # a compact card still shows a crash
                lines.append(render.worker_row(s, worker, width, self.clock(), self.config.slow))
        notes = []
        if s.collect_errors:
            errors = plural(len(s.collect_errors), "collection error")
            notes.append(f"{errors}: {s.collect_errors[0][0]}")
        if s.error:
            notes.append(s.error)
        if s.malformed or s.oversized:
            notes.append(f"skipped event lines: {s.malformed} malformed, {s.oversized} oversized")
        if missing := unreported(s):
            notes.append(f"{missing} unreported (started, no result: counted as errors)")
        if s.interrupted:
            shown = ", ".join(s.interrupted[:INTERRUPTED_NAMED])
            more = len(s.interrupted) - INTERRUPTED_NAMED
            notes.append(
                f"{len(s.interrupted)} interrupted: {shown}"
                + (f" +{more} more" if more > 0 else "")
            )
        if s.not_run:
            notes.append(f"{len(s.not_run)} not run (the run ended before they started)")
        if s.flaky:
            notes.append(f"{s.flaky} flaky (passed only on a retry)")
        if s.corrected:
            fixed = plural(s.corrected, "result")
            notes.append(f"stream damaged: {fixed} corrected from pytest's report")
        # Notes quote test ids, collection errors and pytest's own words: shown, never obeyed.
        lines += [literal(note, style="magenta") for note in notes]
        return lines

    def _with_trend(self, line: Text, width: int) -> Text:
        """`line` with the duration trend at its right end (cut first when room runs out)."""
        trend = render.trend_text(list(self.trend))
        if not trend:
            return line
        gap = max(width - line.cell_len - trend.cell_len, 3)
        return Text.assemble(line, " " * gap, trend)
