"""The failures list (or, with a filter, every test whose name matches), filled live.

A `LineView` over a plain list of `(suite, nodeid)` keys: one line per test, drawn from the model
only when visible. Rows are ordered by suite (configuration order), then by when the test first
failed in this session (noted here: the model forgets a result on a rerun); with a filter, the
tests that never failed come after, by id. A name is cut where it says least (`render.fit_nodeid`):
the path's middle first, the test's function and parameters last. Tests with a mixed pass/fail
history carry a `⚑` in a column of their own, there only while the history knows a flaky test.
A quarantined test's reason starts with the tag `quarantined`, and the title counts them apart:
their failures fail no run.
Why it is built so: docs/architecture.md, "Line views instead of `DataTable` and `Log`".
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.message import Message
from textual.strip import Strip

from zenboard.model.state import RunState, TestResult
from zenboard.ui.render import OUTCOME_MARK, OUTCOME_STYLE, fit_nodeid, split_nodeid
from zenboard.ui.safe_text import literal, visible
from zenboard.ui.widgets.line_view import LineView

RowKey = tuple[str, str]
"""(suite, nodeid)."""
RowOrder = tuple[int, int, int, str]
"""(suite's rank, 0 if it failed in this session else 1, when it first failed, nodeid)."""
MAX_ROWS = 50_000
"""A filter that matches more tests than this lists the first ones only."""
REMEASURE_ROWS = 2_000
"""Up to this many rows, columns are measured again when rows leave (a rerun fixed the widest
test): a few milliseconds. Longer lists keep their widths, as while they fill."""
HEADER = 1
"""Lines above the rows (the column titles), which stay put while the rows scroll."""
MARK_STYLE = {outcome: Style.parse(style) for outcome, style in OUTCOME_STYLE.items()}
FLAKY_BADGE = "⚑"
QUARANTINED_TAG = "quarantined "
"""What a quarantined test's reason cell starts with (`[tool.zenboard.quarantine]`)."""


REASON_MIN = 16
"""Cells the reason keeps when names and reasons do not both fit (a fifth of the room, if more):
names come first, since they say which test it is, and the details have the whole reason."""
REASON_LEAST = 8
"""...down to this, when a test's own function and parameters need the cells."""


def shown_name(test: TestResult) -> str:
    """The row's test id, whole (a column cuts it with `fit_nodeid`); rows are raw segments, so
    its control characters are spelled out here (and widths are measured on what is drawn: an
    ESC is zero cells, `\\x1b` four)."""
    return visible(test.nodeid)


def shown_reason(test: TestResult) -> str:
    """The row's one-line failure reason, as drawn (empty for a test that did not fail)."""
    return visible(test.reason().replace("\n", " ")) if test.failed else ""


def reason_cells(test: TestResult) -> int:
    """Cells the reason column needs for `test`: its reason, after the quarantine tag if any."""
    tag = len(QUARANTINED_TAG) if test.quarantined and test.failed else 0
    return tag + cell_len(shown_reason(test))


def fit(text: str, width: int) -> str:
    """`text` padded or cut (with an ellipsis) to exactly `width` cells."""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, max(width - 1, 0)) + "…" if width > 0 else ""


STRIPS_KEPT = 4 * 1024
"""Drawn rows kept (the least recently drawn go first): a few screens' worth of each look."""


class TestsList(LineView, can_focus=True):
    """Failures across all suites; `/` narrows to tests whose nodeid contains the filter.

    | Key | Action |
    |---|---|
    | j, down / k, up | next / previous test |
    | pagedown / pageup, home / end | a page down / up, first / last test |
    | enter | open the test's details |
    | escape | clear the filter (show the failures again) |
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
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "tests-list--header",
        "tests-list--cursor",
        "tests-list--even-row",
        "tests-list--empty",
        "tests-list--flaky",
        "tests-list--quarantined",
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
        self._cursor_placed = False
        """The person moved the cursor: it follows its test as rows come, else it stays on the
        top row (whichever test comes to sort first)."""
        self._rows: list[RowKey] = []
        self._orders: list[RowOrder] = []
        """Each row's place (`_order`), beside `_rows`: the list stays sorted by it."""
        self._shown: dict[RowKey, RowOrder] = {}
        """The rows listed, with the place each was put at (a bisection of `_orders` finds it:
        no index of positions to rebuild when a row goes in above others)."""
        self._strips: LRUCache[tuple[RowKey, str], Strip] = LRUCache(STRIPS_KEPT)
        """Drawn rows by (key, look); dropped when a row, the widths or the styles change."""
        self._failed_at: dict[RowKey, int] = {}
        """When (a count of failures seen) each test first failed in this session."""
        self._ranks: dict[str, int] = {}
        self._widest_test = 4
        self._widest_name = 0
        """The widest test function with its parameters: what a name column keeps first."""
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
        """Add, update or remove the rows of the tests that finished in a batch.

        A new row goes to its place in the order (at the end, in the common case); a row whose
        test failed for the first time moves there (a filter lists tests that passed too).
        """
        gone: set[RowKey] = set()
        placed: dict[RowKey, None] = {}  # new or moved rows, in the order they came
        under_cursor, cursor_in_view = self.selected(), self._cursor_in_view()
        for key in changed:
            test = self._test(key)
            if test is not None:
                self._note_failure(key, test)
            if test is None or not self.wanted(test):
                placed.pop(key, None)
                if key in self._shown:
                    gone.add(key)
                continue
            gone.discard(key)
            if key in self._shown:
                self._forget(key)
                self._measure(test)
                if self._shown[key] != self._order(key):
                    gone.add(key)  # out of its old place, into its new one below
                    placed[key] = None
            elif key in placed or len(self._rows) + len(placed) < MAX_ROWS:
                placed[key] = None
            else:
                self.truncated = True
        if gone:
            self._remove(gone)
        if placed:
            self._place(list(placed))
        if self._cursor_placed and under_cursor in self._shown and (gone or placed):
            self.cursor = self._position(under_cursor)  # rows above it came or went
            if cursor_in_view:
                self._show_cursor()
        self._changed()
        self._tell_if_moved(under_cursor)

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
            under_cursor = self.selected()
            self._remove(gone)
            self._changed()
            self._tell_if_moved(under_cursor)

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
        """Show failures (empty filter) or every test matching `text`; rebuilt once, here, in
        the list's one order (so clearing a filter gives back the failures as they were)."""
        under_cursor = self.selected()
        self.filter = text.strip()
        self.truncated = False
        wanted: list[RowKey] = []
        for suite in self.state.suites.values():
            for test in suite.tests.values():
                key = (suite.name, test.nodeid)
                self._note_failure(key, test)
                if self.wanted(test):
                    wanted.append(key)
        pairs = sorted((self._order(key), key) for key in wanted)
        if len(pairs) > MAX_ROWS:
            self.truncated = True
            del pairs[MAX_ROWS:]
        self._orders = [order for order, _ in pairs]
        self._rows = [key for _, key in pairs]
        self._shown = {key: order for order, key in pairs}
        self._flaky_rows = sum(1 for key in self._rows if key in self.flaky)
        self._measure_all()
        self.cursor = 0
        self._cursor_placed = False
        self.scroll_to(y=0, animate=False, immediate=True)
        self._changed()
        self._tell_if_moved(under_cursor)

    def action_clear_filter(self) -> None:
        """escape in the list: drop an applied filter and show the failures again. Without a
        filter the key is not ours: it goes on to the screen and the app, as before."""
        if not self.filter:
            raise SkipAction()
        self.set_filter("")

    # The order

    def _note_failure(self, key: RowKey, test: TestResult) -> None:
        """Remember when `key` first failed; a later failure (a rerun) keeps that time."""
        if test.failed and key not in self._failed_at:
            self._failed_at[key] = len(self._failed_at)

    def _order(self, key: RowKey) -> RowOrder:
        """Where `key` belongs: suite in configuration order, then first failure, then id."""
        rank = self._ranks.get(key[0])
        if rank is None:  # a suite the model learnt of since (ranks follow its order)
            self._ranks = {name: i for i, name in enumerate(self.state.suites)}
            rank = self._ranks.get(key[0], len(self._ranks))
        failed_at = self._failed_at.get(key)
        if failed_at is not None:
            return (rank, 0, failed_at, "")
        return (rank, 1, 0, key[1])

    def _place(self, keys: list[RowKey]) -> None:
        """Put new rows in their places (the caller puts the cursor back on its test).

        Failures arrive mostly in order, so this appends. A row that belongs higher (another
        suite's, a first failure in a filtered list) is inserted by bisection: a C memmove
        per row instead of a re-sort (docs/performance.md, "Re-sorting the failures list").
        """
        pairs = sorted((self._order(key), key) for key in keys)
        self._flaky_rows += sum(1 for key in keys if key in self.flaky)
        for key in keys:
            if (test := self._test(key)) is not None:
                self._measure(test)
        for order, key in pairs:
            self._shown[key] = order
            if not self._orders or order > self._orders[-1]:
                self._rows.append(key)
                self._orders.append(order)
                continue
            at = bisect_left(self._orders, order)
            self._orders.insert(at, order)
            self._rows.insert(at, key)
            self._strips.clear()  # stripes shift below the new row

    def _position(self, key: RowKey) -> int:
        """The row of a listed test."""
        return bisect_left(self._orders, self._shown[key])

    def _cursor_in_view(self) -> bool:
        top = round(self.scroll_y)
        return top <= self.cursor < top + max(self.view_height - HEADER, 1)

    def _test(self, key: RowKey) -> TestResult | None:
        suite = self.state.suites.get(key[0])
        return suite.tests.get(key[1]) if suite is not None else None

    def _measure_all(self) -> None:
        """Measure the columns afresh, for the rows there are now (a filter of 40,000 tests:
        each width measured once per distinct text, in C loops where it can be)."""
        tests = [test for key in self._rows if (test := self._test(key)) is not None]
        names = [shown_name(test) for test in tests]
        self._widest_test = max(4, *map(cell_len, names)) if names else 4
        self._widest_name = max((cell_len(split_nodeid(name)[1]) for name in names), default=0)
        workers = {visible(test.worker) for test in tests}
        self._widest_worker = max(6, *map(cell_len, workers)) if workers else 6
        self._widest_reason = max((reason_cells(test) for test in tests if test.failed), default=0)
        self._strips.clear()

    def _measure(self, test: TestResult) -> None:
        """Widen the columns for `test` (they never narrow while the list fills)."""
        shown = shown_name(test)
        widest = (self._widest_test, self._widest_name, self._widest_worker, self._widest_reason)
        self._widest_test = max(self._widest_test, cell_len(shown))
        self._widest_name = max(self._widest_name, cell_len(split_nodeid(shown)[1]))
        self._widest_worker = max(self._widest_worker, cell_len(visible(test.worker)))
        self._widest_reason = max(self._widest_reason, reason_cells(test))
        if widest != (
            self._widest_test,
            self._widest_name,
            self._widest_worker,
            self._widest_reason,
        ):
            self._strips.clear()

    def _forget(self, key: RowKey) -> None:
        for look in ("cursor", "even", "odd"):
            self._strips.discard((key, look))

    def _remove(self, gone: set[RowKey]) -> None:
        under_cursor = self.selected()
        gone = {key for key in gone if key in self._shown}
        self._flaky_rows -= sum(1 for key in gone if key in self.flaky)
        for key in gone:
            del self._shown[key]
        self._rows = [key for key in self._rows if key not in gone]
        self._orders = [self._shown[key] for key in self._rows]
        self._strips.clear()  # stripes shift below the first removed row
        if len(self._rows) <= REMEASURE_ROWS:
            self._measure_all()
        if under_cursor is not None and under_cursor in self._shown:
            self.cursor = self._position(under_cursor)
        self.cursor = max(0, min(self.cursor, len(self._rows) - 1))

    def _changed(self) -> None:
        self.set_line_count(len(self._rows) + HEADER)
        self.update_title()
        self.refresh()

    def _tell_if_moved(self, under_cursor: RowKey | None) -> None:
        """The cursor was on `under_cursor` before the rows changed. If it is now on another
        test (its row left, a filter came or went, or it stays on the top row and a row came
        above), the app hears of it as of a move, so `r` and the output panel follow the test
        the person sees selected."""
        now = self.selected()
        if now is not None and now != under_cursor and self.has_focus:
            self.post_message(self.Highlighted(*now))

    def update_title(self) -> None:
        more = f" (first {MAX_ROWS:,})" if self.truncated else ""
        if self._flaky_rows:
            more += f"  {FLAKY_BADGE} {self._flaky_rows} flaky"
        quarantined = self._quarantined_rows()
        if quarantined:
            more += f"  {quarantined} quarantined (not counted as failures)"
        # A Text, not a str: a border title string is markup, and a filter may well be a pasted
        # test id such as `test_x[[/]]` (repr() already spells its control characters).
        if self.filter:
            self.border_title = literal(f"tests matching {self.filter!r}: {len(self._rows)}{more}")
        else:
            self.border_title = literal(f"failures: {len(self._rows)}{more}")

    def _quarantined_rows(self) -> int:
        """Listed failures of quarantined tests (none to count while no suite has a quarantine)."""
        if not any(suite.quarantine for suite in self.state.suites.values()):
            return 0
        tests = (self._test(key) for key in self._rows)
        return sum(1 for test in tests if test is not None and test.quarantined and test.failed)

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
        self._cursor_placed = True
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
        # Focus alone selects the test under the cursor: `r` and `f` then act on its suite, as
        # a move would make them (docs/keys.md: "the suite of the selected test").
        now = self.selected()
        if now is not None:
            self.post_message(self.Highlighted(*now))

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
        """Cells for suite, worker, test and reason (mark, badge and gaps take the rest).

        When names and reasons both fit, neither is cut and the reason takes what is left.
        Otherwise names come first: the reason keeps `REASON_MIN` cells (a fifth of the room
        on a wide list), or what it needs if less, and the name has the rest; if the widest
        `function[params]` still does not fit, the reason gives up more, to `REASON_LEAST`.
        """
        suite = min(max([5, *(cell_len(name) for name in self.state.suites)]), 20)
        worker = min(self._widest_worker, 10)
        rest = max(width - 5 - self.badge_width - suite - worker, 2)  # " m " + gaps
        room = rest - 1  # the gap between test and reason
        reason_keeps = min(self._widest_reason, max(REASON_MIN, room // 5))
        test = min(self._widest_test, room - reason_keeps)
        reason_least = min(self._widest_reason, REASON_LEAST)
        test = max(test, min(self._widest_name, room - reason_least), 1)
        return suite, worker, test, max(room - test, 0)

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
            self._strips.set((key, look), strip)
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
        test = self._test(key)
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
            Segment(set_cell_size(fit_nodeid(shown_name(test), test_w), test_w)),
            Segment(" "),
        ]
        if test.quarantined and test.failed:
            tag = fit(QUARANTINED_TAG, min(reason_w, len(QUARANTINED_TAG)))
            style = self.get_component_rich_style("tests-list--quarantined", partial=True)
            segments.append(Segment(tag, style))
            reason_w -= len(tag)
        segments.append(Segment(fit(shown_reason(test), reason_w)))
        return Strip(Segment.apply_style(segments, base)).adjust_cell_length(width, base)
