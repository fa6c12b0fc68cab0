"""A task's environment: allocate its ports, write `.env.task`, hand the variables to suites.

One function decides, so `run`, `launch`, `ports` and `status` agree on a task's variables:
the existing `.env.task` is read (and refused, exit 2, when it cannot be parsed safely) before
anything is allocated or written, and a file that was refused is never overwritten. The file and
the directories between it and the project root are never followed when they are symlinks: a
planted `.env.task -> ~/.bashrc` is neither copied into the task's variables nor replaced.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from zenboard.config import WORKERS_VARIABLE, ProjectConfig
from zenboard.project.statedir import registry_dir
from zenboard.tasks.envfile import (
    EnvFile,
    parse_env_text,
    quote_value,
    read_env_file,
    render_env,
    write_env_file,
)
from zenboard.tasks.identity import Task, resolve_task
from zenboard.tasks.ports import Allocation, allocate, port_variable, ports_config

HEADER = (
    "Zenflow task environment, written by zenboard (`zenboard ports`).\n"
    "Ports come from the repository's port registry: edit the other keys, not these.\n"
    "Parsed strictly, never executed: KEY=VALUE, ${VAR} for keys defined above."
)
MANAGED_KEYS = ("ZENFLOW_TASK_ID", "ZENFLOW_PORT_BASE", "COMPOSE_PROJECT_NAME")


@dataclass(frozen=True)
class TaskSetup:
    """A task with its ports allocated and its `.env.task` written."""

    task: Task
    allocation: Allocation
    services: dict[str, int]
    """Service -> container port (from the configuration)."""
    env: dict[str, str]
    """The variables every suite of the task gets (the parsed `.env.task`)."""

    @property
    def env_file(self) -> Path:
        return self.task.env_file


def read_existing(task: Task) -> EnvFile | None:
    """The task's `.env.task` if it exists; InputError (exit 2) when it cannot be parsed safely.

    Read from the project root without following a symlink, as it will be written.
    """
    return read_env_file(task.env_file, root=task.root)


def prepare_task(
    config: ProjectConfig,
    task_arg: str | None,
    *,
    move_off: frozenset[int] = frozenset(),
    environ: Mapping[str, str] | None = None,
) -> TaskSetup:
    """Resolve the task, allocate its ports, and (re)write its `.env.task` when it changed.

    Args:
        config: The project's configuration.
        task_arg: The task id given on the command line (`--task`), or None.
        move_off: Ports the task holds that it gives up for new ones.
        environ: The environment the task is resolved from (None: `os.environ`).
    """
    services = ports_config(config).services
    task = resolve_task(config.root, task_arg, environ)
    existing = read_existing(task)
    allocation = allocate(task, services, move_off=move_off)
    written = task_file_values(task, allocation, existing)
    write_env_file(task.env_file, written, HEADER, root=task.root)
    # The variables of what was just written, not a second read that could see another file.
    env = parse_env_text(render_env(written, HEADER), str(task.env_file)).values
    return TaskSetup(task, allocation, services, env)


def task_file_values(
    task: Task, allocation: Allocation, existing: EnvFile | None
) -> dict[str, str]:
    """The file's keys in file form: zenboard's first, then the user's own keys as written."""
    written = {
        "ZENFLOW_TASK_ID": task.id,
        "ZENFLOW_PORT_BASE": str(allocation.base),
        **{port_variable(s): str(p) for s, p in allocation.ports.items()},
        "COMPOSE_PROJECT_NAME": task.compose_project,
    }
    if existing is not None:
        for key, raw in existing.raw.items():
            written.setdefault(key, raw)
    if "E2E_BASE_URL" not in written and "BACKEND_PORT" in written:
        written["E2E_BASE_URL"] = "http://localhost:${BACKEND_PORT}"
    written.setdefault(WORKERS_VARIABLE, "auto")  # the usual task template's; the user's key after
    return {k: v if k not in MANAGED_KEYS else quote_value(v) for k, v in written.items()}


def unclaimed_task(
    config: ProjectConfig, task_arg: str | None, environ: Mapping[str, str] | None = None
) -> TaskSetup:
    """The task of a project without tasks, for a look only: no ports claimed, no file written.

    `status` shows it (the task id, its Compose project's containers) where `prepare_task`
    would claim the default services in the shared registry and write a `.env.task` that every
    later run then puts into the tests' environment.
    """
    task = resolve_task(config.root, task_arg, environ)
    registry = registry_dir(config.root) / "ports.json"
    return TaskSetup(task, Allocation(task.id, {}, registry, ()), {}, {})


def has_tasks(
    config: ProjectConfig, task_arg: str | None, environ: Mapping[str, str] | None = None
) -> bool:
    """True when the project configures ports, `--task` is given, or the task's file exists.

    A symlink counts as existing, even a dangling one, so it is refused rather than ignored.
    """
    if task_arg is not None or ports_config(config).configured:
        return True
    return os.path.lexists(resolve_task(config.root, None, environ).env_file)


def suite_environment(
    config: ProjectConfig, task: str | None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The variables every suite of the task gets; `{}` (and no files written) without tasks."""
    if not has_tasks(config, task, environ):
        return {}
    return dict(prepare_task(config, task, environ=environ).env)
