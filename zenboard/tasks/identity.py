"""Task identity: which task a worktree belongs to, and the names derived from it.

A task id becomes part of file paths (`.zenflow/tasks/<id>/`) and of the compose project name,
so an id the user types is checked strictly (refused, exit 2) while an id read off a folder
name is sanitised instead: a folder called `Fix Login!` is a fine task, `../../etc` is not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from zenboard.errors import InputError
from zenboard.project.git import git_toplevel

TASK_ID_MAX = 100
ENV_VAR = "ZENFLOW_TASK_ID"
_ALLOWED = re.compile(r"[A-Za-z0-9._-]+")
_NOT_ALLOWED_DERIVED = re.compile(r"[^a-z0-9._-]+")
_NOT_COMPOSE = re.compile(r"[^a-z0-9_-]")


@dataclass(frozen=True)
class Task:
    """One task: its id, where the id came from, and the worktree it runs in."""

    id: str
    source: str
    """How the id was found: "--task", "ZENFLOW_TASK_ID", "path" or "worktree"."""
    root: Path
    """The project directory (inside the task's worktree)."""

    @property
    def compose_project(self) -> str:
        return compose_project_name(self.id)

    @property
    def env_file(self) -> Path:
        return self.root / ".zenflow" / "tasks" / self.id / ".env.task"


def validate_task_id(raw: str, source: str) -> str:
    """Return `raw` if it is a safe task id, else raise InputError naming where it came from."""
    if not raw:
        raise InputError(f"{source}: empty task id")
    if len(raw) > TASK_ID_MAX:
        raise InputError(f"{source}: task id longer than {TASK_ID_MAX} characters")
    if not _ALLOWED.fullmatch(raw) or ".." in raw or raw in {"."}:
        raise InputError(
            f"{source}: unsafe task id {raw!r}: use letters, digits, '.', '_' or '-' (no '..')"
        )
    return raw


def sanitise_task_id(name: str) -> str:
    """A safe id from a folder name: lowercased, other characters become '-'."""
    cleaned = _NOT_ALLOWED_DERIVED.sub("-", name.lower())
    cleaned = re.sub(r"\.{2,}", ".", cleaned)
    cleaned = re.sub(r"-{2,}", "-", cleaned).strip("-.")
    cleaned = cleaned[:TASK_ID_MAX].rstrip("-.")
    return cleaned or "default"


def compose_project_name(task_id: str) -> str:
    """Normalise like Compose: lowercase, only a-z 0-9 _ -, starting with a letter or digit.

    Compose applies the same rule to COMPOSE_PROJECT_NAME, so the label filter built from this
    name finds the containers Compose started for the task.
    """
    name = _NOT_COMPOSE.sub("", task_id.lower()).lstrip("_-")
    return name or "default"


def resolve_task(
    root: Path, explicit: str | None = None, environ: Mapping[str, str] | None = None
) -> Task:
    """Find the task: `--task`, else ZENFLOW_TASK_ID, else the path, else the worktree's name."""
    environ = os.environ if environ is None else environ
    root = root.resolve()
    if explicit is not None:
        return Task(validate_task_id(explicit, "--task"), "--task", root)
    from_env = environ.get(ENV_VAR)
    if from_env:
        return Task(validate_task_id(from_env, ENV_VAR), ENV_VAR, root)
    from_path = task_id_from_path(root)
    if from_path is not None:
        return Task(sanitise_task_id(from_path), "path", root)
    top = git_toplevel(root) or root
    return Task(sanitise_task_id(top.name), "worktree", root)


def task_id_from_path(path: Path) -> str | None:
    """The `<id>` of the innermost `.zenflow/worktrees/<id>` in `path`, if there is one."""
    parts = path.parts
    found = None
    for i in range(len(parts) - 2):
        if parts[i] == ".zenflow" and parts[i + 1] == "worktrees":
            found = parts[i + 2]
    return found
