"""`zenboard launch`: open the dashboard on the project and (unless --no-run) start every suite."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from zenboard.commands import (
    KEEP_RUNNING,
    add_retries_argument,
    add_timeout_arguments,
    add_up_argument,
    check_output_file,
    path_arg,
    timeouts_of,
)

if TYPE_CHECKING:
    from zenboard.config import Timeouts

SUITE_NICENESS = 10
"""How far below the dashboard's the suites' CPU priority is by default (`--nice`): on busy
cores a key press is drawn before the suites' next results are produced."""

NAME = "launch"
HELP = "open the live dashboard and run the suites (--no-run: open it idle)"
WRITES = (
    "Writes each run's reports to .zenboard/reports/latest/ (or --report-dir) and records "
    "it in .zenboard/history.db. In a project with tasks (a ports table, --task, or an "
    "existing .env.task) it claims the task's ports in the port registry and writes "
    ".zenflow/tasks/<id>/.env.task, as `zenboard ports` does; a Playwright suite claims a "
    "port per worker there (until its worktree is gone). With --up it claims the task's "
    "ports even in a project without tasks, writes its port override "
    ".zenflow/tasks/<id>/docker-compose.zenflow.yml and starts its Compose services "
    "(docker compose up -d), which keep running after."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "suites", nargs="*", metavar="SUITE", help="suites to show and run (default: all)"
    )
    parser.add_argument(
        "--task", metavar="ID", help="the task id (default: ZENFLOW_TASK_ID, else from the path)"
    )
    parser.add_argument("--no-run", action="store_true", help="open the dashboard idle")
    parser.add_argument(
        "--report-dir",
        type=path_arg,
        metavar="DIR",
        help="where reports go (default: PROJECT/.zenboard/reports/latest)",
    )
    parser.add_argument("--watch", action="store_true", help="start in watch mode")
    parser.add_argument(
        "--events",
        type=path_arg,
        metavar="FILE",
        help="append the session's events to FILE as JSON lines, live (docs/event-stream.md)",
    )
    parser.add_argument(
        "--nice",
        type=niceness_arg,
        default=SUITE_NICENESS,
        metavar="N",
        help=f"run the suites N steps below the dashboard's CPU priority, 0 to 19 (default"
        f" {SUITE_NICENESS}; 0: the same priority)",
    )
    add_retries_argument(parser)
    add_timeout_arguments(parser)
    add_up_argument(parser)


def niceness_arg(text: str) -> int:
    """`--nice`'s value: a whole number from 0 to 19 (a nice value's range), else exit 2."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 19:
        raise argparse.ArgumentTypeError(f"expected a whole number from 0 to 19, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    check_output_file("--events", args.events)  # before anything runs, as the report dir
    code = launch_dashboard(
        args.project,
        run_at_start=not args.no_run,
        suites=args.suites,
        task=args.task,
        report_dir=args.report_dir,
        watch=args.watch,
        retries=args.retries,
        timeouts=timeouts_of(args),
        up=args.up,
        events=args.events,
        nice=args.nice,
    )
    if args.up:
        print(KEEP_RUNNING, flush=True)
    return code


def launch_dashboard(
    project: Path,
    run_at_start: bool = True,
    suites: list[str] | None = None,
    task: str | None = None,
    report_dir: Path | None = None,
    watch: bool = False,
    retries: int | None = None,
    timeouts: Timeouts | None = None,
    up: bool = False,
    events: Path | None = None,
    nice: int = SUITE_NICENESS,
) -> int:
    """Open the dashboard on `project`; return zenboard's exit code for the runs it saw.

    Args:
        project: The project directory (or a directory below it).
        run_at_start: Start the selected suites as soon as the dashboard opens.
        suites: Names of the suites to show and run (None or empty: all).
        task: The task id (`--task`); None: found from the environment or the path.
        report_dir: Where reports are published (None: `.zenboard/reports`).
        watch: Start watch mode when the dashboard opens.
        retries: Every suite's `retries` (`--retries`); None keeps the configuration's.
        timeouts: `--timeout` and `--suite-timeout`, in place of every suite's own.
        up: Start the task's Compose services as the dashboard opens (`--up`).
        events: `--events FILE`: the session's events are appended there as JSON lines.
        nice: How much lower than the dashboard's the suites' CPU priority is (`--nice`).
    """
    from zenboard.ui.launcher import run_dashboard

    return run_dashboard(
        project,
        run_at_start=run_at_start,
        suites=suites or [],
        task=task,
        report_dir=report_dir,
        watch=watch,
        retries=retries,
        timeouts=timeouts,
        up=up,
        events=events,
        nice=nice,
    )
