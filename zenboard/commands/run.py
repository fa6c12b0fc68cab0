"""`zenboard run`: the suites, headless, with progress lines, reports and an exit code."""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "run"
HELP = "run suites headless (for CI): progress lines, reports, exit code"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("suites", nargs="*", metavar="SUITE", help="suites to run (default: all)")
    parser.add_argument("--ci", action="store_true", help="CI output: at most one progress line per suite a second")
    parser.add_argument("--report-dir", type=Path, metavar="DIR",
                        help="where reports go (default: PROJECT/.zenboard/reports/latest)")
    parser.add_argument("--task", metavar="ID", help="the task whose variables suites get")


def run(args: argparse.Namespace) -> int:
    from zenboard.config import load_config
    from zenboard.headless import HeadlessRun
    from zenboard.integrations.taskenv import suite_environment

    config = load_config(args.project)
    args.task_env = suite_environment(config, args.task)
    suites = config.select(args.suites)
    report_dir = args.report_dir.resolve() if args.report_dir else None
    return HeadlessRun(config, suites, report_dir=report_dir, ci=args.ci,
                       extra_env=args.task_env).run()
