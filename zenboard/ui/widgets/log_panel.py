"""The selected suite's raw output (pytest's own lines), for what goes wrong outside tests.

It shows `SuiteState.output` (the model keeps the last lines); new lines are appended from each
fold's batch, and switching suite reloads the kept lines once.
"""

from __future__ import annotations

from textual.widgets import Log

from zenboard.model.state import RunState


class LogPanel(Log):
    def __init__(self, state: RunState) -> None:
        super().__init__(id="log", max_lines=2_000, auto_scroll=True)
        self.state = state
        self.suite: str | None = None

    def show_suite(self, name: str | None) -> None:
        self.suite = name
        self.clear()
        self.border_title = f"output: {name}" if name else "output"
        suite = self.state.suites.get(name) if name else None
        if suite is not None and suite.output:
            self.write_lines(list(suite.output))

    def add(self, launched: set[str], output: dict[str, list[str]]) -> None:
        if self.suite is None:
            return
        if self.suite in launched:
            self.show_suite(self.suite)
        elif output.get(self.suite):
            self.write_lines(output[self.suite])
