"""`zenboard watch`: run the suites, then rerun what each saved change affects (headless)."""

from __future__ import annotations

import argparse

from zenboard.commands import add_retries_argument, timeouts_of
from zenboard.commands.run import add_headless_arguments

NAME = "watch"
HELP = "run suites, then rerun what each file change affects: failed tests first (headless)"
WRITES = (
    "Writes each run's reports to .zenboard/reports/latest/ (or --report-dir) and records "
    "it in .zenboard/history.db. In a project with tasks (a ports table, --task, or an "
    "existing .env.task) it claims the task's ports in the port registry and writes "
    ".zenflow/tasks/<id>/.env.task, as `zenboard ports` does; a Playwright suite claims a "
    "port per worker there (until its worktree is gone)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_headless_arguments(parser, "watch")
    parser.add_argument(
        "--quiet-ms",
        type=int,
        metavar="N",
        help="handle changes once the tree has been quiet this long (default: 100, or the config)",
    )
    parser.add_argument(
        "--no-initial-run", action="store_true", help="wait for the first change before running"
    )
    add_retries_argument(parser)


def run(args: argparse.Namespace) -> int:
    from zenboard.config import load_config, with_retries, with_timeouts
    from zenboard.headless.run import RunOptions
    from zenboard.headless.watch import HeadlessWatch
    from zenboard.tasks.taskenv import suite_environment
    from zenboard.watch.settings import load_watch_settings

    config = with_retries(load_config(args.project), args.retries)
    config = with_timeouts(config, timeouts_of(args))
    suites = config.select(args.suites)
    settings = load_watch_settings(config, args.quiet_ms)  # bad input refused before any task file
    task_env = suite_environment(config, args.task)
    report_dir = args.report_dir.resolve() if args.report_dir else None
    watch = HeadlessWatch(
        config,
        suites,
        settings,
        RunOptions(report_dir=report_dir, ci=args.ci, extra_env=task_env),
        initial_run=not args.no_initial_run,
    )
    return watch.run()
