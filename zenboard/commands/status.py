"""`zenboard status`: the task, its ports and its containers in one headless view."""

from __future__ import annotations

import argparse

NAME = "status"
HELP = "show the task's ports and the health of its containers"
WRITES = (
    "In a project with tasks (a ports table, --task, or an existing .env.task) it claims "
    "the task's ports in the port registry and writes .zenflow/tasks/<id>/.env.task, as "
    "`zenboard ports` does; in a project without tasks it claims nothing and writes "
    "nothing."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--task", metavar="ID", help="task id (default: ZENFLOW_TASK_ID, the path, the worktree)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a container of the task is unhealthy or exited, or when it cannot "
        "check (Docker unavailable)",
    )


def run(args: argparse.Namespace) -> int:
    import json

    from zenboard.config import load_config
    from zenboard.tasks import status as taskstatus
    from zenboard.tasks.docker_watch import probe
    from zenboard.tasks.taskenv import has_tasks, prepare_task, unclaimed_task
    from zenboard.textsafe import visible

    config = load_config(args.project)
    # A look, not a claim: without tasks, nothing is claimed and no .env.task is written.
    tasks = has_tasks(config, args.task)
    setup = prepare_task(config, args.task) if tasks else unclaimed_task(config, args.task)
    snapshot = probe(setup.task.compose_project, taskstatus.expected_ports(setup))
    states = taskstatus.port_states(setup, snapshot)
    if args.json:
        print(json.dumps(taskstatus.status_json(setup, snapshot, states), indent=2))
    else:
        task = setup.task
        print(f"task {task.id} ({task.source})  compose project {task.compose_project}")
        shown = visible(str(setup.env_file))  # a path: its folders' names are not zenboard's
        print(f"env file {shown}" if tasks else "env file none (the project has no tasks)")
        print("ports:")
        print(*taskstatus.port_lines(setup, states), sep="\n")
        print("containers:")
        print(*taskstatus.container_lines(snapshot), sep="\n")
    if not args.check:
        return 0
    if not snapshot.docker.available:
        import sys

        print(
            f"status --check: cannot check: docker unavailable: {visible(snapshot.docker.reason)}",
            file=sys.stderr,
        )
        return 1
    return 1 if snapshot.problems() else 0
