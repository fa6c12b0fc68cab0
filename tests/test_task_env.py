"""Task identity, the strict `.env.task` parser, and what suites get in their environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zenboard.config import load_config
from zenboard.errors import InputError
from zenboard.tasks.envfile import parse_env_file, parse_env_text
from zenboard.tasks.identity import (
    compose_project_name,
    resolve_task,
    sanitise_task_id,
    validate_task_id,
)
from zenboard.tasks.taskenv import prepare_task, suite_environment

pytestmark = pytest.mark.usefixtures("isolated_state")


def _zenboard(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "ZENFLOW_TASK_ID"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "zenboard", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# -- task identity -------------------------------------------------------------------------
def test_explicit_ids_are_validated_not_rewritten() -> None:
    assert (
        validate_task_id("ci-suite-tests-parallele-zenflow-a6aa", "--task")
        == "ci-suite-tests-parallele-zenflow-a6aa"
    )
    for bad in ["../etc", "a/b", "a b", "a..b", "x" * 101, "", "naïve", "a;rm"]:
        with pytest.raises(InputError, match="--task"):
            validate_task_id(bad, "--task")


def test_derived_ids_are_sanitised() -> None:
    assert sanitise_task_id("Fix Login!") == "fix-login"
    assert sanitise_task_id("..hidden..dir..") == "hidden.dir"
    assert sanitise_task_id("!!!") == "default"
    assert len(sanitise_task_id("a" * 300)) == 100


def test_compose_project_names_follow_compose() -> None:
    assert compose_project_name("My.Task_1-a6aa") == "mytask_1-a6aa"
    assert compose_project_name("_-x") == "x"
    assert compose_project_name("...") == "default"


def test_task_id_precedence(tmp_path: Path) -> None:
    worktree = tmp_path / "repo" / ".zenflow" / "worktrees" / "Task-From-Path"
    (worktree / "backend").mkdir(parents=True)
    assert (
        resolve_task(worktree / "backend", "explicit-1", {"ZENFLOW_TASK_ID": "env-1"}).id
        == "explicit-1"
    )
    assert resolve_task(worktree, None, {"ZENFLOW_TASK_ID": "env-1"}).id == "env-1"
    from_path = resolve_task(worktree / "backend", None, {})
    assert (from_path.id, from_path.source) == ("task-from-path", "path")
    plain = tmp_path / "Some Dir"
    plain.mkdir()
    assert resolve_task(plain, None, {}).id == "some-dir"
    with pytest.raises(InputError, match="ZENFLOW_TASK_ID"):
        resolve_task(plain, None, {"ZENFLOW_TASK_ID": "../../x"})


# -- .env.task -----------------------------------------------------------------------------
def test_env_file_expands_references_to_keys_above() -> None:
    text = (
        "# comment\n\nBACKEND_PORT=18947\nE2E_BASE_URL=http://localhost:${BACKEND_PORT}\n"
        'export PLAIN=$BACKEND_PORT/x  # trailing comment\nQUOTED="a ${BACKEND_PORT}"\n'
        "LITERAL='${NOT_EXPANDED}'\nDEFAULTED=${MISSING:-5435}\nDOLLAR=$$HOME\n"
    )
    assert parse_env_text(text).values == {
        "BACKEND_PORT": "18947",
        "E2E_BASE_URL": "http://localhost:18947",
        "PLAIN": "18947/x",
        "QUOTED": "a 18947",
        "LITERAL": "${NOT_EXPANDED}",
        "DEFAULTED": "5435",
        "DOLLAR": "$HOME",
    }


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("X=$(touch /tmp/pwned)", r"'\$\('"),
        ("X=`id`", "'`'"),
        ("X=1; rm -rf /", "';'"),
        ('X="$(id)"', r"'\$\('"),
        ("X=a b", "whitespace"),
        ("X=${LATER}", "not defined above"),
        ("not a pair", "KEY=VALUE"),
        ("X=1 | cat", "'\\|'"),
    ],
)
def test_env_file_refuses_shell_syntax_with_line_number(
    tmp_path: Path, line: str, why: str
) -> None:
    path = tmp_path / ".env.task"
    path.write_text(f"A=1\n# fine\n{line}\n")
    with pytest.raises(InputError, match=rf"\.env\.task:3: .*{why}"):
        parse_env_file(path)


def _project_with_ports(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        "[tool.zenboard.ports]\nservices = { postgres = 5432, redis = 6379, backend = 8000, frontend = 5173 }\n"
    )


def test_env_task_written_with_spec_keys_and_user_keys_kept(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    _project_with_ports(root)
    env_file = root / ".zenflow" / "tasks" / "t-a6aa" / ".env.task"
    env_file.parent.mkdir(parents=True)
    env_file.write_text("PYTEST_WORKERS=auto\nAPI=http://localhost:${PYTEST_WORKERS}\n")
    setup = prepare_task(load_config(root), "t-a6aa")
    env = setup.env
    ports = setup.allocation.ports
    assert env["ZENFLOW_TASK_ID"] == "t-a6aa"
    assert env["ZENFLOW_PORT_BASE"] == str(min(ports.values()))
    assert [env[f"{s.upper()}_PORT"] for s in ("postgres", "redis", "backend", "frontend")] == [
        str(ports[s]) for s in ("postgres", "redis", "backend", "frontend")
    ]
    assert env["COMPOSE_PROJECT_NAME"] == "t-a6aa"
    assert env["E2E_BASE_URL"] == f"http://localhost:{ports['backend']}"
    assert env["PYTEST_WORKERS"] == "auto"
    assert "E2E_BASE_URL=http://localhost:${BACKEND_PORT}" in env_file.read_text()
    assert parse_env_file(env_file).values == env


@pytest.mark.slow
def test_bad_env_task_is_refused_and_left_untouched(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    _project_with_ports(root)
    env_file = root / ".zenflow" / "tasks" / "t1" / ".env.task"
    env_file.parent.mkdir(parents=True)
    env_file.write_text("POSTGRES_PORT=1\nX=`id`\n")
    for command in (["ports"], ["status"], ["run"], ["ports", "--release"]):
        result = _zenboard(*command, "--task", "t1", cwd=root)
        assert result.returncode == 2, result
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert ".env.task:2:" in result.stderr
    assert env_file.read_text() == "POSTGRES_PORT=1\nX=`id`\n"


@pytest.mark.slow
def test_unsafe_task_id_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")  # a project: zenboard finds its root by it
    for command in (["ports"], ["status"], ["compose-template"], ["run"]):
        result = _zenboard(*command, "--task", "../../etc", cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.startswith("zenboard: error: --task: unsafe task id")
        assert result.stderr.count("\n") == 1
    result = _zenboard("ports", cwd=tmp_path, env={"ZENFLOW_TASK_ID": "a/b"})
    assert result.returncode == 2 and "ZENFLOW_TASK_ID" in result.stderr


@pytest.mark.slow
def test_bad_ports_config_names_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.zenboard.ports]\nservices = { db = 99999 }\n")
    result = _zenboard("ports", cwd=tmp_path)
    assert result.returncode == 2
    assert "pyproject.toml: tool.zenboard.ports.services.db: a port number" in result.stderr


# -- what suites get -------------------------------------------------------------------------
def test_project_without_tasks_gets_nothing_and_no_files(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.zenboard]\n")
    assert suite_environment(load_config(tmp_path), None) == {}
    assert not (tmp_path / ".zenflow").exists()


@pytest.mark.slow
def test_run_gives_every_suite_the_task_variables(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    _project_with_ports(root)
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text()
        + '[[tool.zenboard.suites]]\nname = "env"\nworkers = 0\n'
    )
    (root / "test_env.py").write_text(
        "import os\n\n"
        "def test_task_variables():\n"
        "    assert os.environ['ZENFLOW_TASK_ID'] == 'run-task'\n"
        "    assert os.environ['E2E_BASE_URL'] == 'http://localhost:' + os.environ['BACKEND_PORT']\n"
        "    assert os.environ['COMPOSE_PROJECT_NAME'] == 'run-task'\n"
    )
    result = _zenboard("run", "--ci", "--task", "run-task", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / ".zenflow" / "tasks" / "run-task" / ".env.task").is_file()


@pytest.mark.slow
def test_unwritable_project_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    _project_with_ports(root)
    (root / ".zenflow").write_text("a file where a directory should be\n")
    result = _zenboard("ports", "--task", "t1", cwd=root)
    assert result.returncode == 2
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_env_lines_are_safe_to_eval(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    _project_with_ports(root)
    env_file = root / ".zenflow" / "tasks" / "t1" / ".env.task"
    env_file.parent.mkdir(parents=True)
    env_file.write_text("GREETING='hello world'\n")
    printed = _zenboard("ports", "--env", "--task", "t1", cwd=root).stdout
    shell = subprocess.run(
        ["sh", "-c", f'{printed}\nprintf "%s|%s" "$GREETING" "$E2E_BASE_URL"'],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert shell.stdout.startswith("hello world|http://localhost:")


@pytest.mark.slow
def test_task_commands_never_import_textual(tmp_path: Path) -> None:
    code = (
        "import sys, contextlib, io\n"
        "from zenboard.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    for cmd in (['ports'], ['status', '--json'], ['compose-template']):\n"
        "        assert main([*cmd, '--task', 'hl']) == 0\n"
        "assert 'textual' not in sys.modules, 'textual was imported'\n"
    )
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")}
    (tmp_path / "pyproject.toml").write_text("")
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "docker-compose.zenflow.yml").is_file()


@pytest.mark.slow
def test_status_in_a_project_without_tasks_claims_nothing(tmp_path: Path) -> None:
    """A look is not a claim: no registry entry, no .env.task for every later run to read."""
    project = tmp_path / "plain"
    project.mkdir()
    (project / "pyproject.toml").write_text("")
    for args in (("status",), ("status", "--json")):
        result = _zenboard(*args, cwd=project)
        assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ports"] == {}
    assert "env file none (the project has no tasks)" in _zenboard("status", cwd=project).stdout
    assert not (project / ".zenflow").exists()
    assert not (tmp_path / "state" / "zenboard" / "ports.json").exists()
