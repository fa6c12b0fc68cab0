"""One view of a task for `ports`, `status` and the dashboard: ports, their states, containers.

A claimed port is "free", held by the task's own containers ("task"), or held by something
else ("conflict": `zenboard ports --reassign` moves the task off it). Whether a held port is
the task's own needs docker; without it the state is "in-use".
"""

from __future__ import annotations

from typing import Any

from zenboard.tasks.containers import ContainerSnapshot, ExpectedPorts
from zenboard.tasks.ports import port_is_free
from zenboard.tasks.taskenv import TaskSetup
from zenboard.textsafe import visible

PORT_STATE_TEXT = {
    "free": "free",
    "task": "held by this task's containers",
    "conflict": "CONFLICT: held by something else (zenboard ports --reassign moves it)",
    "in-use": "in use (docker unavailable: cannot tell by whom)",
}


def expected_ports(setup: TaskSetup) -> ExpectedPorts:
    return ExpectedPorts(dict(setup.services), dict(setup.allocation.ports))


def port_states(setup: TaskSetup, snapshot: ContainerSnapshot | None) -> dict[str, str]:
    """Service -> free | task | conflict | in-use."""
    return claimed_port_states(setup.allocation.ports, snapshot)


def claimed_port_states(
    ports: dict[str, int], snapshot: ContainerSnapshot | None
) -> dict[str, str]:
    """Service -> free | task | conflict | in-use, for any task's claimed ports (`tasks`)."""
    held_by_task = snapshot.host_ports() if snapshot is not None else set()
    states: dict[str, str] = {}
    for service, port in ports.items():
        if port_is_free(port):
            states[service] = "free"
        elif port in held_by_task:
            states[service] = "task"
        elif snapshot is not None and snapshot.docker.available:
            states[service] = "conflict"
        else:
            states[service] = "in-use"
    return states


def conflicts(states: dict[str, str], setup: TaskSetup) -> frozenset[int]:
    """Claimed ports `--reassign` moves off: held by something else, or held while docker
    cannot say by whom."""
    moving = {"conflict", "in-use"}
    return frozenset(setup.allocation.ports[s] for s, state in states.items() if state in moving)


def ports_json(setup: TaskSetup, states: dict[str, str]) -> dict[str, Any]:
    alloc = setup.allocation
    return {
        "task": setup.task.id,
        "task_source": setup.task.source,
        "compose_project": setup.task.compose_project,
        "ports": dict(alloc.ports),
        "port_base": alloc.base,
        "port_states": states,
        "env_file": str(setup.env_file),
        "registry": str(alloc.registry),
        "reclaimed": list(alloc.reclaimed),
        "other_tasks": [
            {"task": c.task, "ports": dict(c.ports), "worktree": c.worktree} for c in alloc.others
        ],
    }


def status_json(
    setup: TaskSetup, snapshot: ContainerSnapshot, states: dict[str, str]
) -> dict[str, Any]:
    return {
        "task": setup.task.id,
        "compose_project": setup.task.compose_project,
        "ports": dict(setup.allocation.ports),
        "port_states": states,
        "env_file": str(setup.env_file),
        "docker": {"available": snapshot.docker.available, "reason": snapshot.docker.reason},
        "containers": [c.to_json() for c in snapshot.containers],
    }


def port_lines(setup: TaskSetup, states: dict[str, str]) -> list[str]:
    if not setup.allocation.ports:
        return ["  none: no [tool.zenboard.ports] in this project (zenboard claims none)"]
    width = max(len(s) for s in setup.allocation.ports)
    return [
        f"  {service:<{width}}  {port:>5}  {PORT_STATE_TEXT[states[service]]}"
        for service, port in setup.allocation.ports.items()
    ]


def container_lines(snapshot: ContainerSnapshot) -> list[str]:
    """`status`'s text lines. A container's name, labels, state and health-check output are
    whatever its image and compose file say, and the reason Docker is unavailable quotes the
    daemon: all are shown with their control characters spelled out (`status --json` keeps
    them exact)."""
    if not snapshot.docker.available:
        return [f"  docker unavailable: {visible(snapshot.docker.reason)}"]
    if not snapshot.containers:
        return [f"  no containers with label com.docker.compose.project={snapshot.project}"]
    lines = []
    for c in snapshot.containers:
        # One entry per mapping: Docker publishes a port on IPv4 and IPv6 alike (two bindings).
        mappings = dict.fromkeys(f"{p.host_port}->{p.container_port}" for p in c.ports)
        ports = ",".join(mappings) or "-"
        health = c.health if c.health != "unhealthy" else f"UNHEALTHY x{c.failing_streak}"
        mismatch = " (NOT the assigned ports)" if c.ports_ok is False else ""
        line = (
            f"  {visible(c.service or '-'):<12} {visible(c.name):<28} {visible(c.state):<10} "
            f"{visible(health):<14} restarts={c.restarts} ports={ports}{mismatch}"
        )
        if c.state in {"exited", "dead"}:
            line += f" exit={c.exit_code}"
        lines.append(line)
        if c.health == "unhealthy" and c.last_health_output:
            first = c.last_health_output.splitlines()[0][:120]
            lines.append(f"      last check: {visible(first)}")
    return lines


def current_port_states(setup: TaskSetup) -> dict[str, str]:
    """Port states now; docker is asked only when a port is held (to tell whose it is)."""
    from zenboard.tasks.docker_watch import probe

    snapshot = None
    if not all(port_is_free(p) for p in setup.allocation.ports.values()):
        snapshot = probe(setup.task.compose_project, expected_ports(setup))
    return port_states(setup, snapshot)
