"""Backend ports for Playwright workers, one per worker slot, claimed from the port registry.

Each e2e worker gets its own backend port; fixed ones (8088, 8089, ...) would be shared by two
worktrees running their e2e suites at the same time. So the block comes from the same
registry that hands tasks their service ports (see ports.py), under a claim of its own
(`<task>/e2e`, a key no real task id can take since ids never hold '/'), so a worker's port can
clash neither with another task's services nor with another task's e2e workers. The suite sees
the ports as `ZENBOARD_E2E_PORTS=port0,port1,...`, indexed by Playwright's `parallelIndex`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from zenboard.tasks.identity import ENV_VAR as TASK_ENV_VAR
from zenboard.tasks.identity import Task, resolve_task
from zenboard.tasks.ports import allocate
from zenboard.wire import ENV_E2E_PORTS

E2E_PORTS_ENV = ENV_E2E_PORTS
MAX_E2E_WORKERS = 64
"""More workers than this share nothing more useful: the fixture asks the OS for a port."""


def e2e_claim(task: Task) -> Task:
    """The registry entry for a task's e2e workers (same worktree, so it goes stale with it).

    A task id read off a folder name may repeat across unrelated projects that share the user's
    registry, so it is made unique by a short hash of the project's path.
    """
    key = task.id
    if task.source not in ("--task", TASK_ENV_VAR):
        key += "@" + hashlib.sha256(str(task.root).encode()).hexdigest()[:8]
    return Task(f"{key}/e2e", task.source, task.root)


def worker_count(workers: int | str) -> int:
    """How many slots to claim: the configured workers, else (auto) this machine's cores."""
    if isinstance(workers, int):
        return max(1, min(workers, MAX_E2E_WORKERS))
    return max(1, min(os.cpu_count() or 1, MAX_E2E_WORKERS))


def claim_worker_ports(
    root: Path, workers: int | str, environ: Mapping[str, str] | None = None
) -> list[int]:
    """Claim (or confirm) one port per worker slot for the task of `root`; index = slot."""
    count = worker_count(workers)
    task = resolve_task(root, None, environ)
    services = {f"e2e_w{i}": 0 for i in range(count)}
    allocation = allocate(e2e_claim(task), services)
    return [allocation.ports[name] for name in services]


def ports_env(ports: list[int]) -> dict[str, str]:
    return {E2E_PORTS_ENV: ",".join(str(p) for p in ports)}
