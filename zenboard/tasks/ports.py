"""Port allocation for tasks: collision-free blocks of host ports, stable per task.

A stable hash of the task id picks the *preferred* block; the registry (see registry.py)
decides: a block is taken when none of its ports is claimed by another task and a bind test
finds all of them free. A task keeps its claim on later runs, so its ports never move unless
`--reassign` asks; the bind test screens only new candidates, never a port the task already
owns. Why not ports derived from the id's digits: docs/architecture.md and docs/performance.md.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zenboard.config import ProjectConfig, shown_key
from zenboard.errors import ConfigError, InputError
from zenboard.project.statedir import registry_dir
from zenboard.tasks.envfile import is_shell_variable
from zenboard.tasks.identity import Task
from zenboard.tasks.registry import Claim, locked_registry
from zenboard.words import plural

DEFAULT_SERVICES: dict[str, int] = {
    "postgres": 5432,
    "redis": 6379,
    "backend": 8000,
    "frontend": 5173,
}
PORT_RANGE = (20000, 32760)
"""Host ports handed out: below Linux's ephemeral range (32768-60999), above common services."""
_SERVICE_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(frozen=True)
class PortsConfig:
    services: dict[str, int]
    """Service name -> the container port it listens on, in the configured order."""
    configured: bool
    """True when the project has a `ports` table (the project has tasks)."""


def port_variable(service: str) -> str:
    """`postgres` -> `POSTGRES_PORT`: the variable a compose file reads the service's port from."""
    return f"{service.upper().replace('-', '_')}_PORT"


def ports_config(config: ProjectConfig) -> PortsConfig:
    """Read `[tool.zenboard.ports]` (or `[ports]` in zenboard.toml); errors name file and key."""
    where = config.source or config.root
    prefix = (
        "tool.zenboard.ports"
        if config.source and config.source.name == "pyproject.toml"
        else "ports"
    )
    table: Any = config.table.get("ports")
    if table is None:
        return PortsConfig(dict(DEFAULT_SERVICES), configured=False)
    if not isinstance(table, dict):
        raise ConfigError(where, prefix, "expected a table")
    unknown = set(table) - {"services"}
    if unknown:
        raise ConfigError(where, f"{prefix}.{sorted(unknown)[0]}", "a known key (services)")
    services: Any = table.get("services", DEFAULT_SERVICES)
    if not isinstance(services, dict) or not services:
        raise ConfigError(
            where, f"{prefix}.services", "a non-empty table of service = container port"
        )
    variables: dict[str, str] = {}
    for name, port in services.items():
        key = f"{prefix}.services.{shown_key(name)}"
        if not set(name) <= _SERVICE_NAME_CHARS or not name[:1].isalnum():
            raise ConfigError(where, key, "a service name of a-z, 0-9, '_' or '-'")
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ConfigError(where, key, f"a port number 1-65535, got {port!r}")
        # The variable goes into .env.task, every suite and `eval "$(zenboard ports --env)"`.
        variable = port_variable(name)
        if is_shell_variable(variable):
            why = f"{variable} is a shell or loader variable"
            raise ConfigError(where, key, f"a service whose port variable is its own ({why})")
        if variable in variables:
            why = f"{variable} is {variables[variable]}'s"
            raise ConfigError(where, key, f"a service whose port variable is its own ({why})")
        variables[variable] = name
    return PortsConfig(dict(services), configured=True)


@dataclass(frozen=True)
class Allocation:
    """What the registry says about one task after allocation."""

    task: str
    ports: dict[str, int]
    registry: Path
    others: tuple[Claim, ...]
    """The registry's other live claims (after stale ones were dropped)."""
    reclaimed: tuple[str, ...] = ()
    """Tasks whose stale claims this allocation dropped."""
    moved: bool = False
    """True when the task got a new block (first claim, changed services, or --reassign)."""

    @property
    def base(self) -> int:
        return min(self.ports.values())


def port_is_free(port: int) -> bool:
    """True when nothing on this machine holds `port` (IPv4 any-address, and IPv6 when present)."""
    import socket  # here, not at the top: `zenboard run` without tasks never needs it

    for family, address in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            continue
        with sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind((address, port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE or family == socket.AF_INET:
                    return False
    return True


def block_stride(services: dict[str, int]) -> int:
    return 10 * max(1, -(-len(services) // 10))


def preferred_block(task_id: str, services: dict[str, int]) -> int:
    """The block a task tries first: a stable hash of its id (same on every machine)."""
    import hashlib  # here, not at the top: loading OpenSSL slows every start (performance.md)

    blocks = (PORT_RANGE[1] - PORT_RANGE[0]) // block_stride(services)
    digest = hashlib.sha256(task_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % blocks


def block_ports(index: int, services: dict[str, int]) -> dict[str, int]:
    base = PORT_RANGE[0] + index * block_stride(services)
    return {name: base + offset for offset, name in enumerate(services)}


def _find_block(task_id: str, services: dict[str, int], taken: set[int]) -> dict[str, int]:
    blocks = (PORT_RANGE[1] - PORT_RANGE[0]) // block_stride(services)
    start = preferred_block(task_id, services)
    for step in range(blocks):
        ports = block_ports((start + step) % blocks, services)
        if taken.isdisjoint(ports.values()) and all(port_is_free(p) for p in ports.values()):
            return ports
    low, high = PORT_RANGE
    raise InputError(f"no free block of {plural(len(services), 'port')} left in {low}-{high}")


def allocate(
    task: Task,
    services: dict[str, int],
    *,
    move_off: frozenset[int] = frozenset(),
    directory: Path | None = None,
) -> Allocation:
    """Claim (or confirm) the task's ports; `move_off` lists claimed ports to give up.

    Args:
        task: The task the ports are claimed for.
        services: service name -> the port it listens on in its container.
        move_off: Ports the task holds that it gives up for new ones.
        directory: The registry's directory (None: the repository's, see `registry_dir`).
    """
    directory = directory or registry_dir(task.root)
    with locked_registry(directory) as registry:
        stale = registry.prune_stale()
        claim = registry.claims.get(task.id)
        taken = registry.ports_of_others(task.id)
        keep = (
            claim is not None
            and set(claim.ports) == set(services)
            and taken.isdisjoint(claim.ports.values())
            and move_off.isdisjoint(claim.ports.values())
        )
        if claim is not None and keep:
            claim.worktree = str(task.root)
        else:
            avoid = (
                taken | set(move_off) | (set(claim.ports.values()) if claim and move_off else set())
            )
            claim = Claim(task.id, str(task.root), _find_block(task.id, services, avoid))
            registry.claims[task.id] = claim
        others = tuple(c for c in registry.claims.values() if c.task != task.id)
        return Allocation(
            task.id,
            dict(claim.ports),
            registry.path,
            others,
            reclaimed=tuple(c.task for c in stale),
            moved=not keep,
        )


def release(task: Task, directory: Path | None = None) -> bool:
    """Drop the task's claim; True when there was one."""
    directory = directory or registry_dir(task.root)
    with locked_registry(directory) as registry:
        return registry.claims.pop(task.id, None) is not None


def release_worktree(worktree: Path, directory: Path | None = None) -> list[str]:
    """Drop every claim held for `worktree` (its task's and its e2e workers'); the ids dropped.

    For a directory that is nobody's task, as `zenboard demo`'s copy, whose claims would
    otherwise stay until the directory is gone. Without a registry file nothing was claimed,
    and none is made.
    """
    root = worktree.resolve()
    directory = directory or registry_dir(root)
    if not (directory / "ports.json").exists():
        return []
    with locked_registry(directory) as registry:
        mine = [task for task, claim in registry.claims.items() if Path(claim.worktree) == root]
        for task in mine:
            del registry.claims[task]
        return mine


def registered(task: Task, directory: Path | None = None) -> Claim | None:
    """The task's current claim, read under a shared lock (no allocation)."""
    directory = directory or registry_dir(task.root)
    with locked_registry(directory, write=False) as registry:
        return registry.claims.get(task.id)
