"""`zenboard run`: the suites, headless, with progress lines, reports and an exit code."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    from zenboard.config import ProjectConfig, SuiteConfig

NAME = "run"
HELP = "run suites headless (for CI): progress lines, reports, exit code"
WRITES = (
    "Writes reports to .zenboard/reports/latest/ (or --report-dir) and records the run in "
    ".zenboard/history.db; a full, unsharded run also refreshes .zenboard/durations.json. "
    "In a project with tasks (a ports table, --task, or an existing .env.task) it claims "
    "the task's ports in the port registry and writes .zenflow/tasks/<id>/.env.task, as "
    "`zenboard ports` does; a Playwright suite claims a port per worker there (until its "
    "worktree is gone). With --up it claims the task's ports even in a project without "
    "tasks, writes its port override .zenflow/tasks/<id>/docker-compose.zenflow.yml and starts "
    "its Compose services (docker compose up -d), which keep running after."
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
        "--failed",
        action="store_true",
        help="rerun the last run's failed tests, per suite (from the report dir's summary.json)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        metavar="N",
        help="stress run: run each NODEID given (in place of suites) N times over the workers",
    )
    parser.add_argument(
        "--plan",
        choices=("fixed", "durations"),
        default="fixed",
        help="durations: size workers to the cores, long files first (durations.json)",
    )
    parser.add_argument(
        "--events",
        type=path_arg,
        metavar="FILE",
        help="append the run's events to FILE as JSON lines, live (docs/event-stream.md)",
    )
    parser.add_argument(
        "--summary-md",
        type=path_arg,
        metavar="FILE",
        help="write the run's summary to FILE in Markdown (as GitHub's job summary)",
    )
    add_retries_argument(parser)
    add_up_argument(parser)


def ci_outputs(args: argparse.Namespace) -> dict[str, Any]:
    """RunOptions' `events`, `summary_md` and `github` (GitHub Actions, with --ci)."""
    import os

    from zenboard.headless.github import GitHubEnv

    github = GitHubEnv.from_env(os.environ) if args.ci else None
    return {"events": args.events, "summary_md": args.summary_md, "github": github}


def services_up(config: ProjectConfig, task: str | None) -> dict[str, str] | None:
    """`--up`: the task's services started (claims its ports); its variables, or None when
    they could not be started (the one line is on stderr)."""
    import sys

    from zenboard.tasks.compose.lifecycle import ServicesFailed, bring_up, preflight
    from zenboard.tasks.taskenv import prepare_task

    preflight(config)
    setup = prepare_task(config, task)
    try:
        bring_up(config, setup, (), None, lambda line: print(line, flush=True))
    except ServicesFailed as exc:
        print(f"zenboard: up: {exc}", file=sys.stderr, flush=True)
        return None
    return dict(setup.env)


def run(args: argparse.Namespace) -> int:
    code = _run(args)
    if args.up and code != UP_FAILED:
        print(KEEP_RUNNING, flush=True)
    return 1 if code == UP_FAILED else code


UP_FAILED = -1


def _run(args: argparse.Namespace) -> int:
    from zenboard.config import load_config, with_retries, with_timeouts
    from zenboard.errors import InputError
    from zenboard.headless.run import HeadlessRun, RunOptions
    from zenboard.tasks.taskenv import suite_environment

    chosen = [
        flag
        for flag, on in (
            ("--failed", args.failed),
            ("--repeat", args.repeat is not None),
            ("--shard", args.shard is not None),
        )
        if on
    ]
    if len(chosen) > 1:
        raise InputError(f"{' and '.join(chosen)}: each chooses the tests to run; use one")
    check_output_file("--events", args.events)  # before anything runs, as the report dir
    check_output_file("--summary-md", args.summary_md)
    config = with_retries(load_config(args.project), args.retries)
    config = with_timeouts(config, timeouts_of(args))
    if args.up:
        task_env = services_up(config, args.task)
        if task_env is None:
            return UP_FAILED
        args.task_env = task_env
    else:
        args.task_env = suite_environment(config, args.task)
    if args.repeat is not None:
        return _run_repeated(args, config)
    suites = config.select(args.suites)
    report_dir = args.report_dir.resolve() if args.report_dir else None
    if args.failed:
        return _run_failed(args, config, suites, report_dir)
    if args.shard is not None or args.plan == "durations":
        return _run_planned(args, config, suites, report_dir)
    options = RunOptions(
        report_dir=report_dir, ci=args.ci, extra_env=args.task_env, **ci_outputs(args)
    )
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
        **ci_outputs(args),
    )
    return HeadlessRun(config, plan.suites, options).run()


NO_FAILURES = "no failed tests in the last run"


def _run_failed(
    args: argparse.Namespace,
    config: ProjectConfig,
    suites: tuple[SuiteConfig, ...],
    report_dir: Path | None,
) -> int:
    """`--failed`: the last run's failed tests of the suites selected, and nothing else."""
    from zenboard.engine.engine import report_location
    from zenboard.headless.run import HeadlessRun, RunOptions
    from zenboard.records.last_failures import last_failures

    failed = last_failures(report_location(config.root, report_dir)[0])
    chosen = tuple(s for s in suites if s.name in failed)
    if not chosen:
        print(NO_FAILURES, flush=True)
        return 5
    selection = {s.name: failed[s.name] for s in chosen}
    options = RunOptions(
        report_dir=report_dir,
        ci=args.ci,
        selection=selection,
        extra_env=args.task_env,
        **ci_outputs(args),
    )
    return HeadlessRun(config, chosen, options).run()


MAX_REPEAT = 10_000


def repeat_selection(
    config: ProjectConfig, words: list[str], times: int, flag: str = "--repeat"
) -> tuple[tuple[SuiteConfig, ...], dict[str, tuple[tuple[str, ...], str]]]:
    """The suites of a stress run, each set to repeat its tests, and their node ids.

    Words that name a suite choose the suites (default: all); the others are node ids, as the
    reports name them (relative to the project's root), run in every suite chosen. `flag` is
    the option that gave `times`, as errors name it (`verify --runs` stresses too).
    """
    from dataclasses import replace

    from zenboard.errors import InputError
    from zenboard.wire import ENV_REPEAT

    if not 1 <= times <= MAX_REPEAT:
        raise InputError(f"{flag} {times}: expected a whole number from 1 to {MAX_REPEAT}")
    names = {s.name for s in config.suites}
    nodeids = tuple(dict.fromkeys(w for w in words if w not in names))
    if not nodeids or any("::" not in n for n in nodeids):
        raise InputError(f"{flag} N: expected test ids (path::test), e.g. tests/t.py::test_a")
    chosen = config.select([w for w in words if w in names])
    suites = tuple(
        replace(
            s,
            args=(*s.args, "-p", "zenboard.plugins.repeat"),
            env={**s.env, ENV_REPEAT: str(times)},
        )
        for s in chosen
        if s.kind == "pytest"
    )
    if not suites:
        raise InputError(f"{flag} N: only pytest suites can repeat tests")
    return suites, {s.name: (nodeids, str(config.root)) for s in suites}


def _run_repeated(args: argparse.Namespace, config: ProjectConfig) -> int:
    """`--repeat N NODEID...`: a stress run, each test N times, spread over the workers."""
    from zenboard.headless.run import HeadlessRun, RunOptions
    from zenboard.records import repetitions

    suites, selection = repeat_selection(config, args.suites, args.repeat)
    report_dir = args.report_dir.resolve() if args.report_dir else None
    options = RunOptions(
        report_dir=report_dir,
        ci=args.ci,
        selection=selection,
        kind="repeat",
        extra_env=args.task_env,
        **ci_outputs(args),
    )
    run = HeadlessRun(config, suites, options)
    code = run.run()
    nodeids = next(iter(selection.values()))[0]
    ran = [t.nodeid for s in run.state.suites.values() for t in s.tests.values()]
    missing = repetitions.not_run(nodeids, ran)
    for nodeid in missing:
        run.print(f"repeat: {nodeid} did not run (no suite selected it: a marker, or a typo?)")
    if missing:
        code = 5 if len(missing) == len(nodeids) and code in (0, 5) else max(code, 1)
    return code
