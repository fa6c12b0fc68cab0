"""The task's Compose project: the command lines zenboard runs, and running them.

Every call names the project (`-p`, the task's normalised Compose project name), the project's
compose files and the task's override (`.zenflow/tasks/<id>/docker-compose.zenflow.yml`, written
here from the ports table), and runs with the task's variables in its environment, so Compose
interpolates `${POSTGRES_PORT:-5432}` from `.env.task`. The override lists only the services the
compose files define (Compose refuses an override of a service it does not know). Compose's
progress is plain text (`--progress plain --ansi never`), handed line by line to the caller.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from zenboard import safefs
from zenboard.config import ProjectConfig, inherited_environment
from zenboard.errors import InputError
from zenboard.tasks.compose.discovery import Compose, find_compose
from zenboard.tasks.compose.files import compose_files
from zenboard.tasks.compose.override import render_override
from zenboard.tasks.taskenv import TaskSetup
from zenboard.textsafe import visible

OVERRIDE_IN_TASK_DIR = "docker-compose.zenflow.yml"
CONFIG_SECONDS = 60.0
"""How long `compose config --services` may take (it reads files; it never needs the engine)."""


class ComposeFailed(Exception):
    """Compose ran and failed (exit 1 for the command): the message is its telling line."""


@dataclass(frozen=True)
class TaskCompose:
    """How to run Compose on one task's project."""

    compose: Compose
    project: str
    """The task's Compose project name (already normalised as Compose does)."""
    files: tuple[Path, ...]
    """The project's compose files, then the task's override (when it has one)."""
    services: tuple[str, ...]
    """The services the compose files define, in Compose's order."""
    env: dict[str, str]
    """The environment Compose runs with: this process's, then the task's variables."""
    cwd: Path
    unpublished: tuple[str, ...] = ()
    """Services of the ports table that the compose files do not define."""

    def argv(self, *args: str, files: bool = True) -> list[str]:
        """Compose's command line for `args` on this project (without `-f`: by its label)."""
        named = [item for f in self.files for item in ("-f", str(f))] if files else []
        return [
            *self.compose.argv,
            "--ansi",
            "never",
            "--progress",
            "plain",
            "-p",
            self.project,
            *named,
            *args,
        ]

    def run(self, *args: str, say: Callable[[str], None], files: bool = True) -> None:
        """Run Compose, each line of its output to `say`; ComposeFailed when it fails."""
        run_streamed(self.argv(*args, files=files), self.env, self.cwd, say)


def run_streamed(
    argv: list[str], env: Mapping[str, str], cwd: Path, say: Callable[[str], None]
) -> None:
    """Run `argv`, each output line (made terminal-safe) to `say`; ComposeFailed on failure."""
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise ComposeFailed(f"{argv[0]} cannot run: {exc.strerror}") from None
    lines: list[str] = []
    assert process.stdout is not None
    with process.stdout:
        for raw in process.stdout:
            line = visible(raw.rstrip("\n"))
            if line.strip():
                lines.append(line.strip())
                say(line)
    code = process.wait()
    if code != 0:
        raise ComposeFailed(telling_line(lines) or f"Compose exited with code {code}")


def telling_line(lines: list[str]) -> str:
    """Compose's error line among its output (`Error response from daemon: ...`), else its last."""
    for line in reversed(lines):
        lowered = line.lower()
        if "error" in lowered or "failed" in lowered:
            return line[:400]
    return lines[-1][:400] if lines else ""


def compose_environment(setup: TaskSetup) -> dict[str, str]:
    return {**inherited_environment(), **setup.env}


def defined_services(compose: Compose, files: tuple[Path, ...], env: dict[str, str]) -> list[str]:
    """The services the files define, as Compose reads them; InputError when it cannot."""
    argv = [*compose.argv, "--ansi", "never"]
    for f in files:
        argv += ["-f", str(f)]
    try:
        done = subprocess.run(
            [*argv, "config", "--services"],
            capture_output=True,
            text=True,
            errors="replace",
            env=env,
            cwd=files[0].parent,
            timeout=CONFIG_SECONDS,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"{compose.shown} could not read the compose files: {exc}") from None
    if done.returncode != 0:
        said = [line for line in done.stderr.splitlines() if line.strip()]
        why = telling_line(said) or f"exit code {done.returncode}"
        names = ", ".join(str(f) for f in files)
        raise InputError(f"{names}: Compose cannot read it: {why}")
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def task_compose(config: ProjectConfig, setup: TaskSetup) -> TaskCompose:
    """The task's Compose project, its override written; InputError (exit 2) without Compose,
    without a compose file, or when Compose cannot read it."""
    compose = find_compose()
    files = compose_files(config)
    env = compose_environment(setup)
    services = defined_services(compose, files, env)
    ported = {name: port for name, port in setup.services.items() if name in services}
    unpublished = tuple(name for name in setup.services if name not in services)
    override = setup.env_file.parent / OVERRIDE_IN_TASK_DIR
    if ported:
        text = render_override(ported, setup.task, by="zenboard up")
        try:
            safefs.write_atomic(override, text, root=config.root)
        except OSError as exc:
            raise InputError(f"compose override not written: {safefs.describe(exc)}") from None
        files = (*files, override)
    return TaskCompose(
        compose,
        setup.task.compose_project,
        files,
        tuple(services),
        env,
        files[0].parent,
        unpublished,
    )
