"""The project's compose files and `[tool.zenboard.compose]`: which files, how long to wait.

Without a `files` list zenboard takes the files `docker compose` itself would take when run in
the project: the first of `compose.yaml`, `compose.yml`, `docker-compose.yml`,
`docker-compose.yaml` (Compose's order), with the first `compose.override.yml` ... beside it,
looking in the project's directory and then upward as Compose does, but never above the top of
the git worktree (outside git: only the project's directory), so a stray file in a home
directory is never taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zenboard.config import ProjectConfig, seconds_problem
from zenboard.errors import ConfigError, InputError
from zenboard.project.git import git_toplevel

COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
"""The files `docker compose` looks for, in its order of preference (compose-go's)."""
OVERRIDE_FILES = (
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
)
"""The override Compose adds to the file it found, in its order."""
DEFAULT_TIMEOUT = 120.0
"""Seconds `up` waits for the services to be healthy unless `[compose] timeout` says."""


@dataclass(frozen=True)
class ComposeSettings:
    files: tuple[Path, ...]
    """The configured files (absolute), or () to find them as Compose does."""
    timeout: float = DEFAULT_TIMEOUT


def compose_settings(config: ProjectConfig) -> ComposeSettings:
    """Read `[tool.zenboard.compose]` (`[compose]` in a zenboard.toml); errors name file and key."""
    where = config.source or config.root
    prefix = (
        "tool.zenboard.compose"
        if config.source is not None and config.source.name == "pyproject.toml"
        else "compose"
    )
    table: Any = config.table.get("compose")
    if table is None:
        return ComposeSettings(())
    if not isinstance(table, dict):
        raise ConfigError(where, prefix, "expected a table")
    files: Any = table.get("files", [])
    if (
        not isinstance(files, list)
        or not all(isinstance(f, str) and f.strip() and "\0" not in f for f in files)
        or ("files" in table and not files)
    ):
        raise ConfigError(
            where, f"{prefix}.files", "a non-empty array of compose file paths (strings)"
        )
    timeout: Any = table.get("timeout", DEFAULT_TIMEOUT)
    problem = seconds_problem(timeout)
    if problem:
        raise ConfigError(where, f"{prefix}.timeout", problem)
    return ComposeSettings(tuple(config.root / f for f in files), float(timeout))


def find_compose_file(directory: Path) -> Path | None:
    """The compose file Compose takes in `directory` (not above it), if any."""
    return next((directory / n for n in COMPOSE_FILES if (directory / n).is_file()), None)


def discover(root: Path) -> tuple[Path, ...]:
    """The files `docker compose` would take in `root`: a base file and its override, or ()."""
    top = git_toplevel(root)
    for directory in (root, *root.parents):
        base = find_compose_file(directory)
        if base is not None:
            override = next(
                (directory / n for n in OVERRIDE_FILES if (directory / n).is_file()), None
            )
            return (base,) if override is None else (base, override)
        if top is None or directory == top or not directory.is_relative_to(top):
            break
    return ()


def compose_files(config: ProjectConfig) -> tuple[Path, ...]:
    """The project's compose files; InputError (exit 2) when there are none or one is missing."""
    settings = compose_settings(config)
    if settings.files:
        missing = [f for f in settings.files if not f.is_file()]
        if missing:
            where = config.source or config.root
            raise InputError(f"{where}: compose.files: {missing[0]} is not a file")
        return settings.files
    found = discover(config.root)
    if not found:
        raise InputError(
            f"no compose file in {config.root} (Compose looks for {', '.join(COMPOSE_FILES)}; "
            "or name yours in [tool.zenboard.compose] files = [...])"
        )
    return found
