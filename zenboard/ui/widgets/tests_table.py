"""The failures list (or, with a filter, every test whose name matches), filled live.

Rows are keyed `suite::nodeid` and maintained incrementally from each fold's `Batch`: a finished
test adds, updates or removes its own row, a launched suite drops rows of tests it reset. There
is no clear-and-refill while tests stream, so the cursor stays where the person put it.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist

from zenboard.model.state import RunState, TestResult
from zenboard.ui.render import short_nodeid

OUTCOME_MARK = {
    "failed": "✗",
    "error": "E",
    "passed": "✓",
    "skipped": "s",
    "xfailed": "x",
    "xpassed": "X",
}
MAX_ROWS = 2_000
"""A filter that matches more tests than this shows the first ones only (the table stays fast)."""
OUTCOME_STYLE = {
    "failed": "bold red",
    "error": "bold magenta",
    "passed": "green",
    "skipped": "yellow",
    "xfailed": "cyan",
    "xpassed": "cyan",
}


def row_key(suite: str, nodeid: str) -> str:
    return f"{suite}::{nodeid}"


class TestsTable(DataTable[Text | str]):
    """Failures across all suites; `/` narrows to tests whose nodeid contains the filter."""

    __test__ = False  # not a pytest class, whatever its name

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, state: RunState) -> None:
        super().__init__(id="tests", cursor_type="row", zebra_stripes=True)
        self.state = state
        self.filter = ""
        self.truncated = False

    def on_mount(self) -> None:
        self.add_column("", key="outcome")
        self.add_column("suite", key="suite")
        self.add_column("worker", key="worker")
        self.add_column("test", key="test")
        self.add_column("reason", key="reason")
        self.update_title()

    def wanted(self, test: TestResult) -> bool:
        if self.filter:
            return self.filter.lower() in test.nodeid.lower()
        return test.failed

    def cells(self, suite: str, test: TestResult) -> tuple[Text | str, ...]:
        reason = test.reason() if test.failed else ""
        mark = Text(OUTCOME_MARK.get(test.outcome, "?"), style=OUTCOME_STYLE.get(test.outcome, ""))
        return (mark, suite, test.worker, short_nodeid(test.nodeid), reason)

    def update_tests(self, changed: Iterable[tuple[str, str]]) -> None:
        """Add, update or remove the rows of the tests that finished in a batch."""
        for suite_name, nodeid in changed:
            suite = self.state.suites.get(suite_name)
            test = suite.tests.get(nodeid) if suite is not None else None
            key = row_key(suite_name, nodeid)
            present = key in self.rows
            if test is None or not self.wanted(test):
                if present:
                    self.remove_row(key)
                continue
            if present:
                for column, value in zip(
                    ("outcome", "suite", "worker", "test", "reason"),
                    self.cells(suite_name, test),
                    strict=True,
                ):
                    self.update_cell(key, column, value)
            elif self.row_count < MAX_ROWS:
                self.add_row(*self.cells(suite_name, test), key=key)
            else:
                self.truncated = True
        self.update_title()

    def drop_reset(self, suites: Iterable[str]) -> None:
        """Remove rows of tests a new run of these suites reset (all, or the rerun ones)."""
        gone = []
        for key in self.rows:
            suite_name, _, nodeid = str(key.value).partition("::")
            suite = self.state.suites.get(suite_name)
            if suite_name in suites and (suite is None or nodeid not in suite.tests):
                gone.append(key)
        for key in gone:
            self.remove_row(key)
        if gone:
            self.update_title()

    def set_filter(self, text: str) -> None:
        """Show failures (empty filter) or every test matching `text`; rebuilt once, here."""
        self.filter = text.strip()
        self.truncated = False
        self.clear()
        rows: list[tuple[tuple[Text | str, ...], str]] = []
        for suite in self.state.suites.values():
            for test in suite.tests.values():
                if self.wanted(test):
                    if len(rows) >= MAX_ROWS:
                        self.truncated = True
                        break
                    rows.append((self.cells(suite.name, test), row_key(suite.name, test.nodeid)))
        for cells, key in rows:
            self.add_row(*cells, key=key)
        self.update_title()

    def update_title(self) -> None:
        more = f" (first {MAX_ROWS})" if self.truncated else ""
        if self.filter:
            self.border_title = f"tests matching {self.filter!r}: {self.row_count}{more}"
        else:
            self.border_title = f"failures: {self.row_count}{more}"

    def selected(self) -> tuple[str, str] | None:
        """(suite, nodeid) under the cursor, if any."""
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except (CellDoesNotExist, RowDoesNotExist):
            return None
        suite, _, nodeid = str(key.value).partition("::")
        return suite, nodeid
