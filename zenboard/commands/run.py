"""`zenboard run`: the suites, headless, with progress lines, reports and an exit code."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from zenboard.commands import add_retries_argument, add_timeout_arguments, path_arg, timeouts_of

if TYPE_CHECKING:
    from zenboard.config import ProjectConfig, SuiteConfig

NAME = "run"
HELP = "run suites headless (for CI): progress lines, reports, exit code"
WRITES = (
    "Writes reports to .zenboard/reports/latest/ (or --report-dir) and records the run in "
    ".zenboard/history.db; a full, unsharded run also refreshes .zenboard/durations.json. "
    "In a project with tasks (a ports table, --task, or an existing .env.task) it claims "
    "the task's ports in the port registry and writes .zenflow/tasks/<id>/.env.task, as "
    "`zenboard ports` does; a Playwright suite claims a port per worker there (until its "
    "worktree is gone)."
)


def add_headless_arguments(parser: argparse.ArgumentParser, verb: str) -> None:
    """The arguments `run` and `watch` share: suites, `--ci`, `--report-dir`, `--task`."""
    parser.add_argument(
        "suites", nargs="*", metavar="SUITE", help=f"suites to {verb} (default: all)"
    )
    parser.add_argument(
        "--ci", action="store_true", help="CI output: at most one progress line per suite a second"
    )
    parser.add_argument(
        "--report-dir",
        type=path_arg,
        metavar="DIR",
        help="where reports go (default: PROJECT/.zenboard/reports/latest)",
    )
    parser.add_argument("--task", metavar="ID", help="the task whose variables suites get")
    add_timeout_arguments(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_headless_arguments(parser, "run")
    parser.add_argument(
        "--shard",
        metavar="K/N",
        help="run shard K of N of each suite (balanced by .zenboard/durations.json)",
    )
    parser.add_argument(
        "--plan",
        choices=("fixed", "durations"),
        default="fixed",
        help="durations: size workers to the cores, long files first (durations.json)",
    )
    add_retries_argument(parser)


def run(args: argparse.Namespace) -> int:
    from zenboard.config import load_config, with_retries, with_timeouts
    from zenboard.headless.run import HeadlessRun, RunOptions
    from zenboard.tasks.taskenv import suite_environment

    config = with_retries(load_config(args.project), args.retries)
    config = with_timeouts(config, timeouts_of(args))
    args.task_env = suite_environment(config, args.task)
    suites = config.select(args.suites)
    report_dir = args.report_dir.resolve() if args.report_dir else None
    if args.shard is not None or args.plan == "durations":
        return _run_planned(args, config, suites, report_dir)
    options = RunOptions(report_dir=report_dir, ci=args.ci, extra_env=args.task_env)
    return HeadlessRun(config, suites, options).run()


def _run_planned(
    args: argparse.Namespace,
    config: ProjectConfig,
    suites: tuple[SuiteConfig, ...],
    report_dir: Path | None,
) -> int:
    """A shard (`--shard K/N`) or the duration-aware plan: collect, plan, run the selection."""
    from zenboard.headless.run import HeadlessRun, RunOptions
    from zenboard.planning import run_plan
    from zenboard.planning.shards import parse_shard

    if args.shard is not None:  # `--shard ""` is bad input, not "no shard"
        k, n = parse_shard(args.shard)
        plan = run_plan.shard_plan(config, suites, k, n, args.task_env)
    else:
        plan = run_plan.duration_plan(config, suites, extra_env=args.task_env)
    for note in plan.notes:
        print(note, flush=True)
    shard = f"{k}/{n}" if args.shard is not None else None
    options = RunOptions(
        report_dir=report_dir,
        ci=args.ci,
        selection=plan.selection,
        shard=shard,
        plan_id=plan.fingerprint or None,
        partial=args.shard is not None,
        extra_env=args.task_env,
    )
    return HeadlessRun(config, plan.suites, options).run()
