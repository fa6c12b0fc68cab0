"""`zenboard compose-template`: write the docker-compose.zenflow.yml port override."""

from __future__ import annotations

import argparse

NAME = "compose-template"
HELP = "write docker-compose.zenflow.yml (per-task host ports for the configured services)"
WRITES = (
    "Writes docker-compose.zenflow.yml in the project (--stdout: prints it instead); either "
    "way it claims the task's ports in the port registry and writes "
    ".zenflow/tasks/<id>/.env.task, as `zenboard ports` does."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--task", metavar="ID", help="task id (default: ZENFLOW_TASK_ID, the path, the worktree)"
    )
    parser.add_argument(
        "--stdout", action="store_true", help="print the file instead of writing it"
    )


def run(args: argparse.Namespace) -> int:
    from zenboard.config import load_config
    from zenboard.tasks.compose.override import render_override, write_override
    from zenboard.tasks.taskenv import prepare_task

    config = load_config(args.project)
    setup = prepare_task(config, args.task)
    if args.stdout:
        print(render_override(setup.services, setup.task), end="")
        return 0
    path = write_override(config.root, setup.services, setup.task)
    from zenboard.textsafe import visible

    print(visible(f"wrote {path} (task {setup.task.id}; variables in {setup.env_file})"))
    return 0
