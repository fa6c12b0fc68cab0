"""`zenboard up` and `down` as functions: the checks, Compose's run, and the wait for health.

Bad input (no engine, no Compose, no compose file, a service the files lack) is InputError,
exit 2, before anything starts. A port of the task that something else holds stops `up` before
Compose runs (`ServicesFailed`, exit 1), pointing to `zenboard ports --reassign`; so do Compose
failing and a service that turns unhealthy, exits or is not ready in time: one line with its
last health check output and log lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from zenboard.config import ProjectConfig
from zenboard.errors import InputError
from zenboard.tasks.compose.discovery import find_compose
from zenboard.tasks.compose.files import compose_files
from zenboard.tasks.compose.health import (
    ServiceState,
    failure_line,
    progress_text,
    wait_for_services,
)
from zenboard.tasks.compose.project import ComposeFailed, TaskCompose, task_compose
from zenboard.tasks.containers import describe_error
from zenboard.tasks.docker_watch import ContainerWatcher, connect, default_host
from zenboard.tasks.status import current_port_states, expected_ports
from zenboard.tasks.taskenv import TaskSetup
from zenboard.textsafe import visible
from zenboard.words import plural

Say = Callable[[str], None]


class ServicesFailed(Exception):
    """The services could not be brought up (exit 1): the message is the one line to show."""


@dataclass(frozen=True)
class UpResult:
    compose: TaskCompose
    states: dict[str, ServiceState]


def require_docker() -> None:
    """InputError (exit 2) naming why, when no Docker engine answers."""
    host = default_host()
    try:
        connect(host).close()
    except Exception as exc:
        raise InputError(f"docker unavailable: {describe_error(exc, host)}") from None


def preflight(config: ProjectConfig) -> None:
    """The checks that need no task: an engine, a usable Compose, a compose file (InputError).

    Run before the task's ports are claimed and its `.env.task` written, so bad input leaves
    the project and the port registry as they were."""
    require_docker()
    find_compose()
    compose_files(config)


def prepare(config: ProjectConfig, setup: TaskSetup, services: Sequence[str] = ()) -> TaskCompose:
    """The task's Compose project, checked: engine, Compose, files, the services named."""
    require_docker()
    compose = task_compose(config, setup)
    unknown = [s for s in services if s not in compose.services]
    if unknown:
        known = ", ".join(compose.services) or "none"
        raise InputError(f"no service {unknown[0]!r} in the compose files (services: {known})")
    return compose


def check_ports(setup: TaskSetup, compose: TaskCompose, services: Sequence[str]) -> None:
    """ServicesFailed when a port of a service about to start is held by something else."""
    chosen = set(services or compose.services)
    states = current_port_states(setup)
    for service, state in states.items():
        if service in chosen and state in ("conflict", "in-use"):
            port = setup.allocation.ports[service]
            raise ServicesFailed(
                f"port {port} of {service} is held by something else: "
                "`zenboard ports --reassign` moves the task off it"
            )


def bring_up(
    config: ProjectConfig,
    setup: TaskSetup,
    services: Sequence[str],
    timeout: float | None,
    say: Say,
    compose: TaskCompose | None = None,
) -> UpResult:
    """Start the task's services and wait (when `timeout` is not None) until they are ready.

    Args:
        config: The project's configuration.
        setup: The task, its ports claimed and its `.env.task` written.
        services: The services to start (empty: all the compose files define).
        timeout: Seconds to wait for health at most; None: start them and return.
        say: Where progress lines go.
        compose: The task's Compose project when already prepared (`prepare`).
    """
    compose = compose or prepare(config, setup, services)
    check_ports(setup, compose, services)
    files = " + ".join(
        str(f.relative_to(config.root)) if f.is_relative_to(config.root) else str(f)
        for f in compose.files
    )
    say(f"up: compose project {compose.project} with {compose.compose.shown}: {files}")
    for name in compose.unpublished:
        say(f"up: {name} is in [tool.zenboard.ports] but not in the compose files: not published")
    try:
        compose.run("up", "-d", *services, say=lambda line: say(f"  {line.strip()}"))
    except ComposeFailed as exc:
        raise ServicesFailed(f"compose up failed: {exc}") from None
    if timeout is None:
        return UpResult(compose, {})
    chosen = list(services or compose.services)
    say(f"up: waiting up to {timeout:g} s for {plural(len(chosen), 'service')} to be ready")
    said: list[str] = []

    def changed(states: dict[str, ServiceState], seconds: float) -> None:
        text = progress_text(states)
        if not said or said[-1] != text:  # a line when something changed, not every second
            said.append(text)
            say(f"  {seconds:4.0f} s  {text}")

    with ContainerWatcher(compose.project, expected_ports(setup)) as watcher:
        outcome = wait_for_services(watcher, chosen, timeout, on_change=changed)
    if outcome.verdict == "unavailable":
        raise ServicesFailed(f"docker unavailable: {visible(outcome.reason)}")
    if not outcome.ready:
        stuck = [s for s in outcome.states.values() if not s.ready]
        worst = next((s for s in stuck if s.failed), stuck[0] if stuck else None)
        if worst is None:
            raise ServicesFailed(f"services not ready after {outcome.seconds:.0f} s")
        verdict = "" if outcome.verdict == "failed" else f"not ready within {timeout:g} s: "
        raise ServicesFailed(verdict + failure_line(worst, outcome.seconds))
    say(f"up: ready after {outcome.seconds:.1f} s: {progress_text(outcome.states)}")
    return UpResult(compose, outcome.states)


def take_down(config: ProjectConfig, setup: TaskSetup, volumes: bool, say: Say) -> None:
    """Stop and remove the task's containers and networks (and volumes with `volumes`)."""
    compose = prepare(config, setup)
    args = ["down", "--remove-orphans", *(["--volumes"] if volumes else [])]
    try:
        compose.run(*args, say=lambda line: say(f"  {line.strip()}"))
    except ComposeFailed as exc:
        raise ServicesFailed(f"compose down failed: {exc}") from None


VERBS = {
    "up": ("up", "-d"),
    "start": ("up", "-d"),
    "stop": ("stop",),
    "restart": ("restart",),
    "down": ("down", "--remove-orphans"),
}
"""The dashboard's service commands and the Compose command each runs. `start` is `up -d` of
the one service, which also creates a container that `down` removed."""


def control(
    compose: TaskCompose, setup: TaskSetup, verb: str, service: str | None, say: Say
) -> None:
    """Run one of `VERBS` on `service` (None: every service); ServicesFailed when it fails."""
    services = [service] if service else []
    if verb in ("up", "start"):
        check_ports(setup, compose, services)
    try:
        compose.run(*VERBS[verb], *services, say=say)
    except ComposeFailed as exc:
        raise ServicesFailed(f"compose {VERBS[verb][0]} failed: {exc}") from None
