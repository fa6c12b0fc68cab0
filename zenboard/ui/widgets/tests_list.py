"""The failures list (or, with a filter, every test whose name matches), filled live.

A `LineView` over a plain list of `(suite, nodeid)` keys: one fixed-height line per test, drawn
from the model only when visible, with no widget per row. A batch of finished tests appends,
updates or removes keys and repaints this list alone (no screen layout, see `line_view.py`), so
it can take every batch while thousands of tests a second stream. There is no clear-and-refill
while tests stream, so the cursor stays on the test the person put it on.

Tests with a mixed pass/fail history (read from the history on a thread, see
`ui/history_feed.py`) carry a `⚑` in a narrow column of their own, which exists only while the
history knows of a flaky test; the title counts the flaky rows shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip

from zenboard.model.state import RunState, TestResult
from zenboard.ui.render import OUTCOME_MARK, OUTCOME_STYLE, short_nodeid
from zenboard.ui.safe_text import literal, visible
from zenboard.ui.widgets.line_view import LineView

RowKey = tuple[str, str]
"""(suite, nodeid)."""
MAX_ROWS = 50_000
"""A filter that matches more tests than this lists the first ones only."""
HEADER = 1
"""Lines above the rows (the column titles), which stay put while the rows scroll."""
MARK_STYLE = {outcome: Style.parse(style) for outcome, style in OUTCOME_STYLE.items()}
FLAKY_BADGE = "⚑"


def shown_name(test: TestResult) -> str:
    """The row's test name; rows are raw segments, so its control characters are spelled out
    here (and widths are measured on what is drawn: an ESC is zero cells, `\\x1b` four)."""
    return visible(short_nodeid(test.nodeid))


def shown_reason(test: TestResult) -> str:
    """The row's one-line failure reason, as drawn (empty for a test that did not fail)."""
    return visible(test.reason().replace("\n", " ")) if test.failed else ""


def fit(text: str, width: int) -> str:
    """`text` padded or cut (with an ellipsis) to exactly `width` cells."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, max(width - 1, 0)) + "…" if width > 0 else ""


class TestsList(LineView, can_focus=True):
    """Failures across all suites; `/` narrows to tests whose nodeid contains the filter.

    | Key | Action |
    |---|---|
    | j, down / k, up | next / previous test |
    | pagedown / pageup, home / end | a page down / up, first / last test |
    | enter | open the test's details |
    """

    __test__ = False  # not a pytest class, whatever its name

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "move(1)", "Down", show=False),
        Binding("k,up", "move(-1)", "Up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("home", "move(-1_000_000_000)", "First", show=False),
        Binding("end", "move(1_000_000_000)", "Last", show=False),
        Binding("enter", "choose", "Details", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "tests-list--header",
        "tests-list--cursor",
        "tests-list--even-row",
        "tests-list--empty",
        "tests-list--flaky",
    }

    class Highlighted(Message):
        """The person moved the cursor onto this test."""

        def __init__(self, suite: str, nodeid: str) -> None:
            super().__init__()
            self.suite = suite
            self.nodeid = nodeid

    class Chosen(Message):
        """Enter (or a second click) on this test: the app opens its details."""

        def __init__(self, suite: str, nodeid: str) -> None:
            super().__init__()
            self.suite = suite
            self.nodeid = nodeid

    def __init__(self, state: RunState) -> None:
        super().__init__(id="tests")
        self.state = state
        self.filter = ""
        self.truncated = False
        self.cursor = 0
        self._rows: list[RowKey] = []
        self._index: dict[RowKey, int] = {}
        self._strips: dict[tuple[RowKey, str], Strip] = {}
        """Drawn rows by (key, look); dropped when a row, the widths or the styles change."""
        self._widest_test = 4
        self._widest_worker = 6
        self._widest_reason = 0
        self.flaky: frozenset[RowKey] = frozenset()
        """Tests with a mixed pass/fail history: their rows carry the flaky badge."""
        self._flaky_rows = 0

    # The rows

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def row_keys(self) -> list[RowKey]:
        return list(self._rows)

    def wanted(self, test: TestResult) -> bool:
        if self.filter:
            return self.filter.lower() in test.nodeid.lower()
        return test.failed

    def update_tests(self, changed: Iterable[tuple[str, str]]) -> None:
        """Add, update or remove the rows of the tests that finished in a batch."""
        gone: set[RowKey] = set()
        for key in changed:
            suite = self.state.suites.get(key[0])
            test = suite.tests.get(key[1]) if suite is not None else None
            if test is None or not self.wanted(test):
                if key in self._index:
                    gone.add(key)
                continue
            gone.discard(key)
            if key in self._index:
                self._forget(key)
                self._measure(test)
            elif len(self._rows) < MAX_ROWS:
                self._append(key, test)
            else:
                self.truncated = True
        if gone:
            self._remove(gone)
        self._changed()

    def drop_reset(self, suites: Iterable[str]) -> None:
        """Remove rows of tests a new run of these suites reset (all, or the rerun ones)."""
        names = set(suites)
        gone = {
            key
            for key in self._rows
            if key[0] in names
            and (key[0] not in self.state.suites or key[1] not in self.state.suites[key[0]].tests)
        }
        if gone:
            self._remove(gone)
            self._changed()

    def set_flaky(self, keys: Iterable[RowKey]) -> None:
        """Mark these tests flaky (a fresh read of the history); redraws only if it changed."""
        flaky = frozenset(keys)
        if flaky == self.flaky:
            return
        self.flaky = flaky
        self._flaky_rows = sum(1 for key in self._rows if key in flaky)
        self._strips.clear()
        self._changed()

    def set_filter(self, text: str) -> None:
        """Show failures (empty filter) or every test matching `text`; rebuilt once, here."""
        self.filter = text.strip()
        self.truncated = False
        self._rows, self._index = [], {}
        self._flaky_rows = 0
        self._widest_test, self._widest_worker, self._widest_reason = 4, 6, 0
        self._strips.clear()
        for suite in self.state.suites.values():
            for test in suite.tests.values():
                if self.wanted(test):
                    if len(self._rows) >= MAX_ROWS:
                        self.truncated = True
                        break
                    self._append((suite.name, test.nodeid), test)
        self.cursor = 0
        self.scroll_to(y=0, animate=False, immediate=True)
        self._changed()

    def _append(self, key: RowKey, test: TestResult) -> None:
        self._index[key] = len(self._rows)
        self._rows.append(key)
        self._flaky_rows += key in self.flaky
        self._measure(test)

    def _measure(self, test: TestResult) -> None:
        """Widen the columns for `test` (they never narrow while the list fills)."""
        name = cell_len(shown_name(test))
        reason = cell_len(shown_reason(test))
        widest = (self._widest_test, self._widest_worker, self._widest_reason)
        self._widest_test = max(self._widest_test, name)
        self._widest_worker = max(self._widest_worker, cell_len(visible(test.worker)))
        self._widest_reason = max(self._widest_reason, reason)
        if widest != (self._widest_test, self._widest_worker, self._widest_reason):
            self._strips.clear()

    def _forget(self, key: RowKey) -> None:
        for look in ("cursor", "even", "odd"):
            self._strips.pop((key, look), None)

    def _remove(self, gone: set[RowKey]) -> None:
        under_cursor = self.selected()
        self._rows = [key for key in self._rows if key not in gone]
        self._flaky_rows -= sum(1 for key in gone if key in self.flaky)
        self._index = {key: i for i, key in enumerate(self._rows)}
        self._strips.clear()  # stripes shift below the first removed row
        if under_cursor is not None and under_cursor in self._index:
            self.cursor = self._index[under_cursor]
        self.cursor = max(0, min(self.cursor, len(self._rows) - 1))

    def _changed(self) -> None:
        self.set_line_count(len(self._rows) + HEADER)
        self.update_title()
        self.refresh()

    def update_title(self) -> None:
        more = f" (first {MAX_ROWS:,})" if self.truncated else ""
        if self._flaky_rows:
            more += f"  {FLAKY_BADGE} {self._flaky_rows} flaky"
        # A Text, not a str: a border title string is markup, and a filter may well be a pasted
        # test id such as `test_x[[/]]` (repr() already spells its control characters).
        if self.filter:
            self.border_title = literal(f"tests matching {self.filter!r}: {len(self._rows)}{more}")
        else:
            self.border_title = literal(f"failures: {len(self._rows)}{more}")

    def selected(self) -> RowKey | None:
        """(suite, nodeid) under the cursor, if any."""
        if not self._rows:
            return None
        return self._rows[max(0, min(self.cursor, len(self._rows) - 1))]

    # Moving

    def action_move(self, step: int) -> None:
        self.move_cursor(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor + direction * max(self.view_height - HEADER - 1, 1))

    def action_choose(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.post_message(self.Chosen(*chosen))

    def move_cursor(self, row: int) -> None:
        if not self._rows:
            return
        row = max(0, min(row, len(self._rows) - 1))
        if row != self.cursor:
            self._forget(self._rows[self.cursor])
            self.cursor = row
            self._forget(self._rows[row])
            self.refresh()
        self._show_cursor()
        self.post_message(self.Highlighted(*self._rows[row]))

    def _show_cursor(self) -> None:
        rows = max(self.view_height - HEADER, 1)
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + rows:
            self.scroll_to(y=self.cursor - rows + 1, animate=False, immediate=True)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < HEADER:
            return
        row = round(self.scroll_y) + offset.y - HEADER
        if row >= len(self._rows):
            return
        again = row == self.cursor
        self.move_cursor(row)
        if again or event.chain > 1:
            self.action_choose()

    def on_focus(self) -> None:
        self._strips.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._strips.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    # Drawing

    @property
    def badge_width(self) -> int:
        """Cells of the flaky column (a gap and the badge), none while no test is flaky."""
        return 2 if self.flaky else 0

    def _widths(self, width: int) -> tuple[int, int, int, int]:
        """Cells for suite, worker, test and reason (mark, badge and gaps take the rest)."""
        suite = min(max([5, *(cell_len(name) for name in self.state.suites)]), 20)
        worker = min(self._widest_worker, 10)
        rest = max(width - 5 - self.badge_width - suite - worker, 2)  # " m " + gaps
        reason = min(self._widest_reason, rest * 2 // 5)  # names first; reasons get what is left
        test = min(self._widest_test, max(rest - 1 - reason, 12), rest - 1)
        return suite, worker, max(test, 1), max(rest - test - 1, 0)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if y < HEADER:
            return self._header(width)
        row = round(self.scroll_y) + y - HEADER
        if not 0 <= row < len(self._rows):
            if row == 0:
                return self._empty(width)
            return Strip.blank(width, self.rich_style)
        key = self._rows[row]
        look = "cursor" if row == self.cursor else ("even" if row % 2 == 0 else "odd")
        strip = self._strips.get((key, look))
        if strip is None or strip.cell_length != width:
            strip = self._row(key, look, width)
            if len(self._strips) > 4 * 1024:
                self._strips.clear()
            self._strips[(key, look)] = strip
        return strip

    def _header(self, width: int) -> Strip:
        suite, worker, test, reason = self._widths(width)
        style = self.get_component_rich_style("tests-list--header")
        text = " " * (3 + self.badge_width)
        text += f"{fit('suite', suite)} {fit('worker', worker)} {fit('test', test)} "
        text += fit("reason", reason)
        return Strip([Segment(text, style)]).adjust_cell_length(width, style)

    def _empty(self, width: int) -> Strip:
        style = self.get_component_rich_style("tests-list--empty")
        say = f"no test matches {self.filter!r}" if self.filter else "no failures"
        return Strip([Segment(fit(f"   {say}", width), style)])

    def _row(self, key: RowKey, look: str, width: int) -> Strip:
        suite_w, worker_w, test_w, reason_w = self._widths(width)
        base = self.rich_style
        if look == "cursor":
            base += self.get_component_rich_style("tests-list--cursor")
        elif look == "even":
            base += self.get_component_rich_style("tests-list--even-row")
        suite = self.state.suites.get(key[0])
        test = suite.tests.get(key[1]) if suite is not None else None
        if test is None:
            return Strip.blank(width, base)
        segments = [
            Segment(" "),
            Segment(OUTCOME_MARK.get(test.outcome, "?"), MARK_STYLE.get(test.outcome)),
        ]
        if self.badge_width:
            if key in self.flaky:
                badge = self.get_component_rich_style("tests-list--flaky", partial=True)
                segments += [Segment(" "), Segment(FLAKY_BADGE, badge)]
            else:
                segments.append(Segment("  "))
        segments += [
            Segment(f" {fit(key[0], suite_w)} {fit(visible(test.worker), worker_w)} "),
            Segment(fit(shown_name(test), test_w)),
            Segment(" " + fit(shown_reason(test), reason_w)),
        ]
        return Strip(Segment.apply_style(segments, base)).adjust_cell_length(width, base)
