"""Every task of the repository (`T`): the same rows as `zenboard tasks`, refreshed while open.

The overview asks Docker about every task and reads every worktree's last summary, so it is
built on a thread worker, never the UI's; the screen says `reading…` until the first one comes.
Paths, container words and report errors are other people's text: shown literally, with
control characters spelled out.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from zenboard.config import ProjectConfig
from zenboard.headless.tasks_overview import health_summary, last_run_summary, overview
from zenboard.ui.keys import bindings
from zenboard.ui.safe_text import literal
from zenboard.ui.screens.scrolling import ScrollingModal

REFRESH_SECONDS = 5.0
VERDICT_STYLE = {"passed": "green", "failed": "bold red", "no tests": "yellow"}


def tasks_text(data: dict[str, Any]) -> Text:
    """A block per task: its id (this worktree's marked, a stale claim flagged), worktree,
    ports, containers' health and last run."""
    text = Text()
    text.append_text(literal(f"registry {data['registry']}", style="dim"))
    text.append("\n")
    if not data["tasks"]:
        text.append("\nno tasks: nothing has claimed ports here yet\n", style="dim")
    for row in data["tasks"]:
        text.append(f"\n{row['task']}", style="bold")
        if row["task"] == data["current"]:
            text.append("  (this worktree)", style="cyan")
        if row["stale"]:
            text.append("  STALE: worktree gone", style="bold yellow")
        text.append("\n  worktree    ", style="dim")
        text.append_text(literal(row["worktree"]))
        ports = ", ".join(f"{s} {p}" for s, p in row["ports"].items()) or "none"
        text.append(f"\n  ports       {ports}", style="")
        if not row["stale"]:
            health = health_summary(row)
            text.append("\n  containers  ", style="dim")
            bad = any(w in health for w in ("UNHEALTHY", "EXITED", "DEAD", "unavailable"))
            text.append_text(literal(health, style="bold red" if bad else ""))
            run = row["last_run"]
            verdict = run.get("verdict", "") if isinstance(run, dict) else ""
            text.append("\n  last run    ", style="dim")
            text.append_text(literal(last_run_summary(run), style=VERDICT_STYLE.get(verdict, "")))
        text.append("\n")
    return text


class TasksScreen(ScrollingModal):
    BODY_ID = "tasks-body"
    BINDINGS: ClassVar[list[BindingType]] = list(bindings("tasks"))

    def __init__(self, config: ProjectConfig) -> None:
        super().__init__(id="tasks")
        self.config = config
        self.data: dict[str, Any] | None = None
        """The latest overview (None until the first is read)."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="tasks-body") as body:
            body.border_title = "every task of the repository"
            yield Static(Text("reading the registry…", style="dim"), id="tasks-text")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_tasks()
        self.set_interval(REFRESH_SECONDS, self.refresh_tasks)

    def refresh_tasks(self) -> None:
        self.run_worker(self._read, thread=True, group="tasks", exclusive=True, exit_on_error=False)

    def _read(self) -> None:
        try:
            data = overview(self.config)
        except Exception as exc:  # a damaged registry: said here, never fatal
            self.app.call_from_thread(self._show_problem, str(exc))
            return
        self.app.call_from_thread(self._show, data)

    def _show(self, data: dict[str, Any]) -> None:
        self.data = data
        for static in self.query("#tasks-text").results(Static):  # none once closed
            static.update(tasks_text(data))

    def _show_problem(self, why: str) -> None:
        for static in self.query("#tasks-text").results(Static):
            static.update(literal(why, style="bold red"))
