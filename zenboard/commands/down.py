"""`zenboard down`: stop and remove the task's Compose containers (volumes with --volumes)."""

from __future__ import annotations

import argparse

NAME = "down"
HELP = "stop and remove the task's Compose containers and networks (--volumes: volumes too)"
WRITES = (
    "Claims the task's ports in the port registry and writes .zenflow/tasks/<id>/.env.task "
    "and its port override, as `zenboard up` does (Compose reads the files with the task's "
    "variables); then `docker compose down` removes the task's containers and networks, and "
    "its volumes with --volumes."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--task", metavar="ID", help="task id (default: ZENFLOW_TASK_ID, the path, the worktree)"
    )
    parser.add_argument(
        "--volumes", action="store_true", help="remove the task's volumes too (their data is lost)"
    )


def run(args: argparse.Namespace) -> int:
    import sys

    from zenboard.config import load_config
    from zenboard.tasks.compose.lifecycle import ServicesFailed, preflight, take_down
    from zenboard.tasks.taskenv import prepare_task

    config = load_config(args.project)
    preflight(config)
    setup = prepare_task(config, args.task)

    def say(line: str) -> None:
        print(line, flush=True)

    try:
        take_down(config, setup, args.volumes, say)
    except ServicesFailed as exc:
        print(f"zenboard: down: {exc}", file=sys.stderr, flush=True)
        return 1
    kept = "" if args.volumes else " (volumes kept: --volumes removes them)"
    print(f"down: task {setup.task.id}: containers and networks removed{kept}", flush=True)
    return 0
