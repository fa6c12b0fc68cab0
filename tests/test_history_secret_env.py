"""zenboard's own secrets stay out of the processes it starts.

A real `zenboard run` with the shared history's URL (password included) in its environment: the
suite's test fails if it can see the URL, and asserts the user's own `PGPASSWORD` reached it.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from tests.helpers import run_cli, write_project
from zenboard.config import HISTORY_ENV, inherited_environment
from zenboard.tasks.compose.project import compose_environment
from zenboard.tasks.taskenv import TaskSetup

pytestmark = pytest.mark.slow

SECRET = "pw-8f3a1c77"
URL = f"postgresql://team:{SECRET}@127.0.0.1:1/history?connect_timeout=1"
TEST = f"""
import os

def test_the_history_url_is_not_inherited():
    print(sorted(os.environ.items()))
    assert "{HISTORY_ENV}" not in os.environ
    assert os.environ["PGPASSWORD"] == "users-own"
"""


def test_a_suite_never_sees_the_history_url_but_sees_the_users_variables(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "app",
        {
            "pyproject.toml": (
                '[tool.zenboard]\n[[tool.zenboard.suites]]\nname = "unit"\nargs = ["-s"]\n'
                "workers = 0\n"
            ),
            "tests/test_env.py": TEST,
        },
    )
    env = {HISTORY_ENV: URL, "PGPASSWORD": "users-own"}
    done = run_cli(
        ["run", "--ci", "--report-dir", str(tmp_path / "out")], project / "tests", env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "history not recorded" in done.stdout + done.stderr, "the URL was used by zenboard"
    summary = (tmp_path / "out" / "summary.json").read_text()
    assert json.loads(summary)["suites"][0]["status"] == "passed"
    assert SECRET not in summary + done.stdout + done.stderr


def test_compose_and_every_started_process_inherit_no_history_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(HISTORY_ENV, URL)
    monkeypatch.setenv("PGPASSWORD", "users-own")
    assert HISTORY_ENV not in inherited_environment()
    compose = compose_environment(cast(TaskSetup, SimpleNamespace(env={"WEB_PORT": "8080"})))
    assert HISTORY_ENV not in compose
    assert compose["PGPASSWORD"] == "users-own" and compose["WEB_PORT"] == "8080"
