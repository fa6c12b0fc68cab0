"""`zenboard ports`: claim the task's ports, write its env file, show them and the other tasks.

Not a query: every call but `--release` claims (or confirms) the task's block in the port
registry and rewrites `.zenflow/tasks/<id>/.env.task`, so what it shows is what runs will use.
"""

from __future__ import annotations

import argparse

NAME = "ports"
HELP = "claim the task's ports, write .zenflow/tasks/<id>/.env.task, and show both"
WRITES = (
    "Claims the task's ports in the port registry every worktree of the repository shares "
    "(<git common dir>/zenboard/ports.json; outside git "
    "$XDG_STATE_HOME/zenboard/ports.json) and writes .zenflow/tasks/<id>/.env.task, with "
    "--json and --env too, dropping the registry's claims of worktrees that are gone. "
    "--release instead gives the task's ports back and writes nothing else."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--task", metavar="ID", help="task id (default: ZENFLOW_TASK_ID, the path, the worktree)"
    )
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON")
    out.add_argument(
        "--env", action="store_true", help="print the task's variables as KEY=VALUE lines"
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--reassign", action="store_true", help="move the task off ports that something else holds"
    )
    action.add_argument(
        "--release", action="store_true", help="give the task's ports back to the registry"
    )


def run(args: argparse.Namespace) -> int:
    import json

    from zenboard.config import load_config
    from zenboard.tasks import status as taskstatus
    from zenboard.tasks.identity import resolve_task
    from zenboard.tasks.ports import release
    from zenboard.tasks.taskenv import prepare_task, read_existing
    from zenboard.textsafe import visible

    config = load_config(args.project)
    if args.release:
        task = resolve_task(config.root, args.task)
        read_existing(task)  # refuse a damaged .env.task here too
        released = release(task)
        message = "released" if released else "had no claim"
        print(
            json.dumps({"task": task.id, "released": released})
            if args.json
            else f"task {task.id}: {message}"
        )
        return 0
    setup = prepare_task(config, args.task)
    states = taskstatus.current_port_states(setup)
    moved_from: dict[str, int] = {}
    if args.reassign and taskstatus.conflicts(states, setup):
        before = dict(setup.allocation.ports)
        setup = prepare_task(config, args.task, move_off=taskstatus.conflicts(states, setup))
        moved_from = {s: p for s, p in before.items() if setup.allocation.ports.get(s) != p}
        states = taskstatus.current_port_states(setup)
    if args.json:
        data = taskstatus.ports_json(setup, states)
        data["moved_from"] = moved_from
        print(json.dumps(data, indent=2))
    elif args.env:  # every value single-quoted for `eval`; the keys were checked on reading
        from zenboard.tasks.envfile import shell_assignment

        for key, value in setup.env.items():
            print(shell_assignment(key, value))
    else:
        task = setup.task
        print(f"task {task.id} ({task.source})  compose project {task.compose_project}")
        print(visible(f"env file {setup.env_file}"))  # paths: folder names are not zenboard's
        print(visible(f"registry {setup.allocation.registry}"))
        print(*taskstatus.port_lines(setup, states), sep="\n")
        for service, port in moved_from.items():
            print(f"  moved {service} off {port}")
        if args.reassign and not moved_from:
            print("  no conflicting port: nothing moved")
        # Other tasks' names and worktrees come from the shared registry file: shown, not obeyed.
        if setup.allocation.reclaimed:
            print(f"reclaimed stale claims of: {visible(', '.join(setup.allocation.reclaimed))}")
        if setup.allocation.others:
            print("other tasks:")
            for claim in sorted(setup.allocation.others, key=lambda c: c.task):
                ports = ",".join(str(p) for p in claim.ports.values())
                print(visible(f"  {claim.task}  {ports}  {claim.worktree}"))
    return 0
