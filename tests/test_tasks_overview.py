"""`zenboard tasks`: every task of a repository from its shared registry, on real git worktrees,
a real run's summary and a real container; and the last-run reader on hostile report files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.helpers import docker, docker_image, run_cli, write_project
from zenboard.records.last_run import last_run

PROJECT = {
    "pyproject.toml": """
        [tool.zenboard]
        [[tool.zenboard.suites]]
        name = "unit"
        args = ["tests"]
        workers = 1
        [tool.zenboard.ports]
        services = { web = 8080 }
    """,
    "tests/test_a.py": """
        def test_ok():
            pass

        def test_bad():
            assert False
    """,
}


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.mark.slow
@pytest.mark.docker
def test_tasks_json_across_two_worktrees_with_a_stale_claim(
    tmp_path: Path, isolated_state: None
) -> None:
    image = docker_image()
    main = write_project(tmp_path / "repo", PROJECT)
    _git(main, "init", "-q", ".")
    _git(main, "add", ".")
    _git(main, "commit", "-qm", "init")
    other = tmp_path / f"wt-{uuid.uuid4().hex[:6]}"
    gone = tmp_path / "wt-gone"
    _git(main, "worktree", "add", "-q", str(other))
    _git(main, "worktree", "add", "-q", str(gone))
    for tree in (main, other, gone):
        assert run_cli(["ports"], tree).returncode == 0
    assert run_cli(["run", "--ci"], other).returncode == 1  # a real run: its summary is read
    # status claims (and reclaims stale claims): asked for its keys before a worktree goes
    status_keys = set(json.loads(run_cli(["status", "--json"], main).stdout))
    shutil.rmtree(gone)
    other_task = other.name
    container = docker(
        "run", "-d", "--label", f"com.docker.compose.project={other_task}",
        "--label", "com.docker.compose.service=web",
        "--health-cmd", "true", "--health-interval", "1s", image, "sleep", "300",
    )  # fmt: skip
    try:
        result = run_cli(["tasks", "--json"], main)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        rows = {row["task"]: row for row in data["tasks"]}
        assert set(rows) == {"repo", other_task, "wt-gone"}
        assert data["current"] == "repo"
        for row in rows.values():
            assert status_keys <= set(row), status_keys - set(row)
            assert {"worktree", "stale", "last_run"} <= set(row)
        assert rows["wt-gone"]["stale"] is True
        assert rows["wt-gone"]["worktree"] == str(gone)
        assert rows["repo"]["stale"] is False and rows["repo"]["last_run"] is None
        mine = rows[other_task]
        assert mine["stale"] is False and mine["worktree"] == str(other)
        assert mine["last_run"]["verdict"] == "failed" and mine["last_run"]["exit_code"] == 1
        assert mine["last_run"]["counts"]["passed"] == 1
        assert mine["last_run"]["counts"]["failed"] == 1
        assert [c["service"] for c in mine["containers"]] == ["web"]
        assert mine["containers"][0]["state"] == "running"
        assert set(mine["ports"]) == {"web"}
        text = run_cli(["tasks"], main)
        assert text.returncode == 0
        assert "wt-gone  STALE: worktree gone" in text.stdout, text.stdout
        assert "last run    failed" in text.stdout
    finally:
        docker("rm", "-f", container, check=False)
    # a look changes nothing: the stale claim is still there for the next allocation
    again = json.loads(run_cli(["tasks", "--json"], main).stdout)
    assert "wt-gone" in {row["task"] for row in again["tasks"]}


@pytest.mark.slow
def test_tasks_refuses_a_damaged_registry_with_one_line(
    tmp_path: Path, isolated_state: None
) -> None:
    main = write_project(tmp_path / "repo", PROJECT)
    _git(main, "init", "-q", ".")
    (main / ".git" / "zenboard").mkdir(mode=0o700)
    (main / ".git" / "zenboard" / "ports.json").write_text("{nope")
    result = run_cli(["tasks"], main)
    assert result.returncode == 2
    assert "the port registry is damaged" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


def _summary(tree: Path, text: str | bytes) -> Path:
    path = tree / ".zenboard" / "reports" / "latest" / "summary.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_last_run_of_a_worktree_without_one_is_none(tmp_path: Path) -> None:
    assert last_run(tmp_path) is None


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("{nope", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        ('{"version": 1, "exit_code": 9, "suites": []}', "exit_code"),
        ("[]", "top level"),
    ],
)
def test_a_bad_summary_is_that_row_s_error(tmp_path: Path, content: str | bytes, why: str) -> None:
    _summary(tmp_path, content)
    run = last_run(tmp_path)
    assert run is not None and why in run["error"]


def test_a_summary_that_is_a_symlink_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    target.write_text('{"version": 1, "exit_code": 0, "suites": []}')
    path = _summary(tmp_path, "")
    path.unlink()
    os.symlink(target, path)
    run = last_run(tmp_path)
    assert run is not None and "error" in run


@pytest.mark.slow
async def test_the_tasks_screen_lists_every_task(tmp_path: Path, isolated_state: None) -> None:
    from tests.helpers import wait_until
    from zenboard.ui.launcher import make_app
    from zenboard.ui.screens.tasks import TasksScreen

    main = write_project(tmp_path / "repo", PROJECT)
    _git(main, "init", "-q", ".")
    _git(main, "add", ".")
    _git(main, "commit", "-qm", "init")
    gone = tmp_path / "wt-gone"
    _git(main, "worktree", "add", "-q", str(gone))
    assert run_cli(["ports"], gone).returncode == 0
    app = make_app(main, run_at_start=False)  # claims, and reclaims stale claims: then one goes
    async with app.run_test(size=(160, 45)) as pilot:
        shutil.rmtree(gone)
        await pilot.press("T")
        await wait_until(pilot, lambda: isinstance(app.screen, TasksScreen), "the tasks screen")
        screen = app.screen
        assert isinstance(screen, TasksScreen)
        await wait_until(pilot, lambda: screen.data is not None, "the overview")
        text = str(screen.query_one("#tasks-text").render())
        assert "repo  (this worktree)" in text
        assert "wt-gone  STALE: worktree gone" in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, TasksScreen), "closed")
