"""`zenboard tasks`: every task of the repository from the shared port registry, at a glance."""

from __future__ import annotations

import argparse

NAME = "tasks"
HELP = "list every task of the repository: worktree, ports, container health, last run"
WRITES = (
    "Writes nothing and claims nothing: it reads the port registry every worktree of the "
    "repository shares, asks Docker about each task's containers, and reads each worktree's "
    ".zenboard/reports/latest/summary.json. Stale claims (worktree gone) are flagged, not "
    "dropped."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    import json

    from zenboard.config import load_config
    from zenboard.headless.tasks_overview import lines, overview

    data = overview(load_config(args.project))
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(*lines(data), sep="\n")
    return 0
