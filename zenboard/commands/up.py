"""`zenboard up`: start the task's Compose services on its ports and wait until they are ready."""

from __future__ import annotations

import argparse

from zenboard.commands import seconds_arg

NAME = "up"
HELP = "start the task's Compose services on its ports and wait until they are healthy"
WRITES = (
    "Claims the task's ports in the port registry and writes .zenflow/tasks/<id>/.env.task, "
    "as `zenboard ports` does, and the task's port override "
    ".zenflow/tasks/<id>/docker-compose.zenflow.yml; then `docker compose up -d` creates the "
    "task's containers, networks and volumes (Compose project: the task's id). They keep "
    "running: `zenboard down` stops them."
)
EXAMPLE = "zenboard up --timeout 60 postgres redis"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "services", nargs="*", metavar="SERVICE", help="services to start (default: all)"
    )
    parser.add_argument(
        "--task", metavar="ID", help="task id (default: ZENFLOW_TASK_ID, the path, the worktree)"
    )
    parser.add_argument(
        "--timeout",
        type=seconds_arg,
        metavar="SECONDS",
        help="how long to wait for the services to be healthy "
        "(default: [tool.zenboard.compose] timeout, else 120)",
    )


def run(args: argparse.Namespace) -> int:
    import sys

    from zenboard.config import load_config
    from zenboard.tasks.compose.files import compose_settings
    from zenboard.tasks.compose.lifecycle import ServicesFailed, bring_up, preflight
    from zenboard.tasks.taskenv import prepare_task

    config = load_config(args.project)
    timeout = args.timeout if args.timeout is not None else compose_settings(config).timeout
    preflight(config)
    setup = prepare_task(config, args.task)

    def say(line: str) -> None:
        print(line, flush=True)

    try:
        bring_up(config, setup, args.services, timeout, say)
    except ServicesFailed as exc:
        print(f"zenboard: up: {exc}", file=sys.stderr, flush=True)
        return 1
    print("up: the services keep running: `zenboard down` stops them", flush=True)
    return 0
