"""Port allocation against a real registry file, real sockets and real git worktrees."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from zenboard.project.statedir import registry_dir
from zenboard.tasks.identity import Task
from zenboard.tasks.ports import (
    DEFAULT_SERVICES,
    allocate,
    block_ports,
    port_is_free,
    preferred_block,
    release,
)

pytestmark = [
    pytest.mark.slow,  # starts processes: not in the fast tier
    pytest.mark.usefixtures("isolated_state"),
]

SERVICES = dict(DEFAULT_SERVICES)


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    _git("init", "-q", "-b", "main", cwd=root)
    (root / "README").write_text("x\n")
    (root / "pyproject.toml").write_text("")  # a project (zenboard finds its root by it)
    _git("add", "README", "pyproject.toml", cwd=root)
    _git("commit", "-q", "-m", "init", cwd=root)
    return root


def _zenboard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ZENFLOW_TASK_ID"}
    return subprocess.run(
        [sys.executable, "-m", "zenboard", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_registry_lives_under_the_git_common_dir(repo: Path, tmp_path: Path) -> None:
    assert registry_dir(repo) == (repo / ".git" / "zenboard").resolve()
    outside = tmp_path / "plain"
    outside.mkdir()
    assert registry_dir(outside) == tmp_path / "state" / "zenboard"


def test_same_task_keeps_its_ports_and_release_frees_them(repo: Path) -> None:
    first = allocate(Task("keep-me", "--task", repo), SERVICES)
    again = allocate(Task("keep-me", "--task", repo), SERVICES)
    assert first.ports == again.ports and first.moved and not again.moved
    assert release(Task("keep-me", "--task", repo))
    assert not release(Task("keep-me", "--task", repo))


def test_a_port_held_by_a_listening_socket_is_skipped(repo: Path) -> None:
    preferred = block_ports(preferred_block("held-task", SERVICES), SERVICES)
    held = preferred["redis"]
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", held))
        listener.listen()
        assert not port_is_free(held)
        allocation = allocate(Task("held-task", "--task", repo), SERVICES)
    assert held not in allocation.ports.values()
    assert allocation.ports != preferred


def test_claimed_port_held_by_something_else_is_a_conflict_until_reassigned(repo: Path) -> None:
    before = json.loads(_zenboard("ports", "--json", "--task", "busy", cwd=repo).stdout)
    held = before["ports"]["backend"]
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("0.0.0.0", held))
        listener.listen()
        shown = json.loads(_zenboard("ports", "--json", "--task", "busy", cwd=repo).stdout)
        assert shown["ports"] == before["ports"]  # a claim never moves by itself
        assert shown["port_states"]["backend"] in {"conflict", "in-use"}
        assert shown["port_states"]["postgres"] == "free"
        moved = json.loads(
            _zenboard("ports", "--json", "--reassign", "--task", "busy", cwd=repo).stdout
        )
    assert held not in moved["ports"].values()
    assert moved["moved_from"]["backend"] == held
    env_text = (repo / ".zenflow" / "tasks" / "busy" / ".env.task").read_text()
    assert f"BACKEND_PORT={moved['ports']['backend']}\n" in env_text


_ALLOCATE_MANY = """
import json, sys
from pathlib import Path
from zenboard.tasks.ports import allocate, DEFAULT_SERVICES
from zenboard.tasks.identity import Task
root = Path(sys.argv[1])
out = {}
for task_id in sys.argv[2:]:
    out[task_id] = allocate(Task(task_id, "--task", root), dict(DEFAULT_SERVICES)).ports
print(json.dumps(out))
"""


def test_concurrent_processes_never_share_a_port_over_200_tasks(repo: Path) -> None:
    """Four processes allocate 200 task ids (each id by two processes) at the same time."""
    ids = [f"ci-suite-tests-parallele-zenflow-{n:04x}" for n in range(200)]
    groups = [ids[0:100], ids[100:200], ids[50:150], ids[150:200] + ids[0:50]]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _ALLOCATE_MANY, str(repo), *group],
            stdout=subprocess.PIPE,
            text=True,
        )
        for group in groups
    ]
    results = [json.loads(p.communicate(timeout=300)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    seen: dict[str, dict[str, int]] = {}
    for result in results:
        for task_id, ports in result.items():
            assert seen.setdefault(task_id, ports) == ports  # both processes saw the same claim
    assert len(seen) == 200
    every_port = [p for ports in seen.values() for p in ports.values()]
    assert len(every_port) == len(set(every_port)) == 800
    registry = json.loads((repo / ".git" / "zenboard" / "ports.json").read_text())
    assert {t: c["ports"] for t, c in registry["tasks"].items()} == seen


def test_sibling_worktrees_share_one_registry_and_stale_claims_are_reclaimed(repo: Path) -> None:
    worktrees = repo / ".zenflow" / "worktrees"
    for name in ("task-a1f0", "Task B"):
        _git("worktree", "add", "-q", "-b", name.replace(" ", "-"), str(worktrees / name), cwd=repo)
    a = json.loads(_zenboard("ports", "--json", cwd=worktrees / "task-a1f0").stdout)
    b = json.loads(_zenboard("ports", "--json", cwd=worktrees / "Task B").stdout)
    assert (a["task"], a["task_source"]) == ("task-a1f0", "path")
    assert (b["task"], b["task_source"]) == ("task-b", "path")
    assert (
        a["registry"] == b["registry"] == str((repo / ".git" / "zenboard" / "ports.json").resolve())
    )
    assert set(a["ports"].values()).isdisjoint(b["ports"].values())
    assert [o["task"] for o in b["other_tasks"]] == ["task-a1f0"]

    _git("worktree", "remove", "--force", str(worktrees / "Task B"), cwd=repo)
    again = json.loads(_zenboard("ports", "--json", cwd=worktrees / "task-a1f0").stdout)
    assert again["reclaimed"] == ["task-b"]
    assert again["other_tasks"] == []
    assert again["ports"] == a["ports"]
