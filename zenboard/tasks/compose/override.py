"""The `docker-compose.zenflow.yml` override: per-task host ports from `.env.task`.

Each configured service publishes its container port on `${<SERVICE>_PORT:-<port>}`: the
task's port from `.env.task`, else the container's own. `ports: !override` (Compose 2.24.4 and
later) replaces the base file's fixed mappings instead of adding to them; without it Compose
would publish both, and two tasks would still fight over the base file's ports.
"""

from __future__ import annotations

from pathlib import Path

from zenboard import safefs
from zenboard.errors import InputError
from zenboard.tasks.identity import Task
from zenboard.tasks.ports import port_variable

OVERRIDE_NAME = "docker-compose.zenflow.yml"


def render_override(
    services: dict[str, int], task: Task | None = None, by: str = "zenboard compose-template"
) -> str:
    """The override file's text; service names must match the compose file's services."""
    env_file = (
        f".zenflow/tasks/{task.id}/.env.task"
        if task is not None
        else ".zenflow/tasks/<task>/.env.task"
    )
    lines = [
        f"# Written by `{by}`: per-task host ports (see `zenboard ports`).",
        "# Use it on top of the project's compose file, with the task's variables:",
        f"#   docker compose --env-file {env_file} \\",
        f"#     -f docker-compose.yml -f {OVERRIDE_NAME} up -d",
        "# COMPOSE_PROJECT_NAME in that file gives every task its own containers and volumes.",
        "# `!override` needs Compose 2.24.4+: it replaces the base file's fixed port mappings.",
        "services:",
    ]
    for service, port in services.items():
        lines += [
            f"  {service}:",
            "    ports: !override",
            f'      - "${{{port_variable(service)}:-{port}}}:{port}"',
        ]
    return "\n".join(lines) + "\n"


def write_override(root: Path, services: dict[str, int], task: Task | None = None) -> Path:
    """Write the override into the project `root`, replacing an older one whole.

    A committed `docker-compose.zenflow.yml -> ~/.bashrc` is refused, never written through
    (one line, exit 2), as is any failed write; the file is then left as it was.
    """
    path = root / OVERRIDE_NAME
    try:
        safefs.write_atomic(path, render_override(services, task), root=root)
    except OSError as exc:
        raise InputError(f"compose override not written: {safefs.describe(exc)}") from None
    return path
