"""The dashboard's link to the run history: records each launch, reads flaky tests and trends.

Everything here touches the database (and `git`), so it runs on the app's thread workers, never on
the event loop: `record()` and `load()` are plain blocking functions that return plain data
(a record's problems as lines), and the app posts the results to itself as messages
(`HistoryLoaded`, `HistoryProblem`). The app's own lock keeps a record and the load that follows
it in order, so a later view never overwrites a newer one. A project never run has no database:
opening the dashboard does not create one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from textual.message import Message

from zenboard.project.git import head_commit
from zenboard.records import history, recording
from zenboard.ui.launch_window import FinishedLaunch
from zenboard.words import plural

TestKey = tuple[str, str]
"""(suite, nodeid)."""
TREND_RUNS = 10
"""Durations a suite card's trend shows (its last complete runs)."""
FLAKY_RUNS = 50
"""Recorded runs a test's pass/fail pattern is read over."""


@dataclass(frozen=True)
class HistoryView:
    """What the dashboard shows from the history: plain data, built on a thread."""

    flaky: dict[TestKey, str] = field(default_factory=dict)
    """Tests with a mixed history -> their outcomes, oldest first, a letter a run (`PPFPP`)."""
    trends: dict[str, list[float]] = field(default_factory=dict)
    """suite -> wall durations of its last complete runs, oldest first."""
    runs: int = 0
    """Runs recorded in the database (0: no history yet)."""


class HistorySource(Protocol):
    """Where the dashboard's history comes from (a project's database, or fixed data in tests)."""

    def load(self) -> HistoryView: ...

    def record(self, launch: FinishedLaunch) -> list[str]: ...


class ProjectHistory:
    """The project's history: `.zenboard/history.db`, or the team's PostgreSQL at `url`."""

    def __init__(self, root: Path, url: str | None = None, project: str | None = None) -> None:
        self.root = root
        self.url = url
        self.project = project
        """The configured `project` name its runs are recorded and read under."""
        self._lock = threading.Lock()

    def load(self) -> HistoryView:
        """The flaky tests and the suite trends (an empty view when nothing was recorded)."""
        with self._lock:
            if not history.recorded(self.root, self.url):
                return HistoryView()
            with history.History(self.root, self.url, self.project) as db:
                return HistoryView(
                    flaky=db.flaky_patterns(FLAKY_RUNS),  # flaky_tests() with the patterns
                    trends=db.suite_trends(TREND_RUNS),
                    runs=db.run_count(),
                )

    def record(self, launch: FinishedLaunch) -> list[str]:
        """Store the launch as `zenboard run` stores a run (kind "launch"); problems as lines."""
        commit = head_commit(self.root)
        with self._lock:
            return recording.after_run(
                self.root,
                launch.state,
                kind="launch",
                exit_code=launch.exit_code,
                partial=launch.partial,
                commit=commit,
                started=launch.started,
                history_url=self.url,
                project=self.project,
            )


class StaticHistory:
    """A fixed view, recording nothing (snapshot tests, the screenshot script's extra frames)."""

    def __init__(self, view: HistoryView | None = None) -> None:
        self.view = view or HistoryView()
        self.recorded: list[FinishedLaunch] = []

    def load(self) -> HistoryView:
        return self.view

    def record(self, launch: FinishedLaunch) -> list[str]:
        self.recorded.append(launch)
        return []


def load_quietly(source: HistorySource) -> tuple[HistoryView | None, str]:
    """`source.load()`, or (None, one line saying why not): a broken database is shown once,
    never fatal."""
    try:
        return source.load(), ""
    except history.HistoryUnusable as exc:
        return None, f"history not read: {exc}"
    except OSError as exc:
        return None, f"history not read: {history.HISTORY_FILE}: {exc}"
    except Exception as exc:  # whatever else: shown, never fatal
        return None, f"history not read: {type(exc).__name__}: {exc}"


class HistoryLoaded(Message):
    """A fresh view of the history was read (at start, and after each recorded launch)."""

    def __init__(self, view: HistoryView) -> None:
        super().__init__()
        self.view = view


class HistoryProblem(Message):
    """Recording or reading the history failed: one line for the person, never fatal."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def flaky_summary(pattern: str) -> str:
    """`PFPP` -> "passed 3 of the last 4 runs" (the recorded runs that ran the test)."""
    return f"passed {pattern.count('P')} of the last {plural(len(pattern), 'run')}"
