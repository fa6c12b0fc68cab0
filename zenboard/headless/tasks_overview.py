"""Every task of the repository at a glance: `zenboard tasks` and the dashboard's tasks screen.

The shared port registry knows every task's claim (its worktree and ports). Each row adds what
`status --json` says of a task (ports, their states, its containers' health: one Docker
connection for all of them) and the worktree's last run. A claim whose worktree is gone is
`stale`: shown, flagged, and left for the next allocation to reclaim (a look changes nothing).
The claims of a task's Playwright workers (`<id>/e2e`) are not tasks and are left out.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from zenboard.config import ProjectConfig
from zenboard.project.statedir import registry_dir
from zenboard.records.last_run import last_run
from zenboard.tasks.containers import ContainerSnapshot, ExpectedPorts
from zenboard.tasks.docker_watch import probe_many
from zenboard.tasks.identity import compose_project_name
from zenboard.tasks.ports import ports_config
from zenboard.tasks.registry import Claim, locked_registry
from zenboard.tasks.status import claimed_port_states
from zenboard.textsafe import visible


def claims(root: Path) -> tuple[Path, list[Claim]]:
    """The registry's file and its task claims, read under a shared lock (nothing written:
    without a registry file, none is made)."""
    directory = registry_dir(root)
    path = directory / "ports.json"
    if not path.exists():
        return path, []
    with locked_registry(directory, write=False) as registry:
        found = [c for c in registry.claims.values() if "/" not in c.task]
    return path, sorted(found, key=lambda c: c.task)


def overview(config: ProjectConfig) -> dict[str, Any]:
    """`tasks --json`: `{"registry", "current", "tasks": [row...]}`, a row per task claim."""
    from zenboard.tasks.identity import resolve_task

    path, found = claims(config.root)
    services = ports_config(config).services
    expected = {
        compose_project_name(c.task): ExpectedPorts(
            {s: p for s, p in services.items() if s in c.ports}, dict(c.ports)
        )
        for c in found
    }
    snapshots = probe_many(expected) if found else {}
    try:
        current = resolve_task(config.root).id
    except Exception:  # an unusable ZENFLOW_TASK_ID says nothing about the other tasks
        current = ""
    return {
        "registry": str(path),
        "current": current,
        "tasks": [_row(c, snapshots[compose_project_name(c.task)]) for c in found],
    }


def _row(claim: Claim, snapshot: ContainerSnapshot) -> dict[str, Any]:
    """`status --json`'s keys for one task, plus `worktree`, `stale` and `last_run`."""
    stale = claim.is_stale()
    worktree = Path(claim.worktree)
    return {
        "task": claim.task,
        "compose_project": compose_project_name(claim.task),
        "ports": dict(claim.ports),
        "port_states": {} if stale else claimed_port_states(claim.ports, snapshot),
        "env_file": str(worktree / ".zenflow" / "tasks" / claim.task / ".env.task"),
        "docker": {"available": snapshot.docker.available, "reason": snapshot.docker.reason},
        "containers": [c.to_json() for c in snapshot.containers],
        "worktree": claim.worktree,
        "stale": stale,
        "last_run": None if stale else last_run(worktree),
    }


def health_summary(row: dict[str, Any]) -> str:
    """`2 healthy, 1 UNHEALTHY`, `none`, or `docker unavailable: <reason>` (shown as is)."""
    docker = row["docker"]
    if not docker["available"]:
        return f"docker unavailable: {docker['reason']}"
    if not row["containers"]:
        return "none"
    counts: dict[str, int] = {}
    for c in row["containers"]:
        word = c["health"] if c["state"] == "running" else c["state"]
        word = word if word not in ("unhealthy", "exited", "dead") else word.upper()
        counts[word if word != "none" else "running"] = counts.get(word, 0) + 1
    return ", ".join(f"{n} {word}" for word, n in counts.items())


def last_run_summary(run: dict[str, Any] | None, now: float | None = None) -> str:
    """`failed 12 min ago (2026-12-01 10:14): 40 passed, 2 failed`, `never`, or the error."""
    if run is None:
        return "never"
    if "error" in run:
        return f"unreadable: {run['error']}"
    now = time.time() if now is None else now
    when = float(run["finished_epoch"])
    shown = time.strftime("%Y-%m-%d %H:%M", time.localtime(when))
    counts = ", ".join(f"{n} {k}" for k, n in run["counts"].items() if n and k != "not_run")
    return f"{run['verdict']} {_ago(now - when)} ({shown})" + (f": {counts}" if counts else "")


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def lines(data: dict[str, Any]) -> list[str]:
    """`zenboard tasks`'s text: a block per task. Worktree paths, container words and report
    errors come from other people's files and daemons: control characters are spelled out."""
    out = [f"registry {visible(data['registry'])}"]
    if not data["tasks"]:
        out.append("no tasks: nothing has claimed ports here yet (`zenboard ports` claims)")
    for row in data["tasks"]:
        mark = "  (this worktree)" if row["task"] == data["current"] else ""
        flag = "  STALE: worktree gone (reclaimed at the next allocation)" if row["stale"] else ""
        out.append(f"{row['task']}{mark}{flag}")
        out.append(f"  worktree    {visible(row['worktree'])}")
        states = row["port_states"]
        ports = ", ".join(
            f"{s} {p}" + (f" {states[s]}" if states.get(s) not in (None, "free", "task") else "")
            for s, p in row["ports"].items()
        )
        out.append(f"  ports       {ports or 'none'}")
        if not row["stale"]:
            out.append(f"  containers  {visible(health_summary(row))}")
            out.append(f"  last run    {visible(last_run_summary(row['last_run']))}")
    return out
