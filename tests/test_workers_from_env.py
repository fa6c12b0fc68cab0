"""`.env.task` carries `PYTEST_WORKERS`, and `workers = "$PYTEST_WORKERS"` takes it.

The configuration and the resolution are pure logic; one real run under xdist shows the
workers a task's file asks for, and one shows a bad value refused before anything runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli, write_project
from zenboard.config import load_config, with_workers_from
from zenboard.errors import InputError
from zenboard.tasks.envfile import parse_env_file
from zenboard.tasks.taskenv import prepare_task

pytestmark = pytest.mark.usefixtures("isolated_state")

PYPROJECT = """
[tool.zenboard]
[[tool.zenboard.suites]]
name = "unit"
workers = "{workers}"
[tool.zenboard.ports]
services = {{ web = 8080 }}
"""


@pytest.mark.parametrize("spelled", ["$PYTEST_WORKERS", "${PYTEST_WORKERS}"])
def test_a_suite_takes_its_workers_from_pytest_workers(tmp_path: Path, spelled: str) -> None:
    [suite] = load_config(
        write_project(tmp_path, {"pyproject.toml": PYPROJECT.format(workers=spelled)})
    ).suites
    assert suite.workers == "$PYTEST_WORKERS"
    assert with_workers_from(suite, {"PYTEST_WORKERS": "auto"}).workers == "auto"
    assert with_workers_from(suite, {"PYTEST_WORKERS": "3"}).workers == 3
    assert with_workers_from(suite, {"PYTEST_WORKERS": "0"}).workers == 0


@pytest.mark.parametrize("value", ["many", "-1", "257", "2.5", "", "$OTHER"])
def test_anything_but_auto_or_a_count_is_refused_naming_the_variable(
    tmp_path: Path, value: str
) -> None:
    project = write_project(
        tmp_path, {"pyproject.toml": PYPROJECT.format(workers="$PYTEST_WORKERS")}
    )
    [suite] = load_config(project).suites
    with pytest.raises(InputError) as raised:
        with_workers_from(suite, {"PYTEST_WORKERS": value})
    assert str(raised.value) == (
        f'suite unit: workers = "$PYTEST_WORKERS", but PYTEST_WORKERS is {value!r} (in '
        ".env.task, the suite's env or the environment): expected auto or a whole number "
        "from 0 to 256"
    )
    with pytest.raises(InputError, match="PYTEST_WORKERS is not set"):
        with_workers_from(suite, {})


def test_another_variable_in_workers_is_a_config_error(tmp_path: Path) -> None:
    from zenboard.errors import ConfigError

    with pytest.raises(ConfigError, match=r'"auto" or "\$PYTEST_WORKERS", got .\$WORKERS.'):
        load_config(
            write_project(tmp_path, {"pyproject.toml": PYPROJECT.format(workers="$WORKERS")})
        )


def test_the_task_file_carries_pytest_workers_and_keeps_the_users_value(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"pyproject.toml": PYPROJECT.format(workers="auto")})
    setup = prepare_task(load_config(project), "t1")
    assert setup.env["PYTEST_WORKERS"] == "auto"
    text = setup.env_file.read_text()
    assert text.splitlines()[-1] == "PYTEST_WORKERS=auto"  # as the spec's template has it
    setup.env_file.write_text(text.replace("PYTEST_WORKERS=auto", "PYTEST_WORKERS=3"))
    assert prepare_task(load_config(project), "t1").env["PYTEST_WORKERS"] == "3"
    assert parse_env_file(setup.env_file).values["PYTEST_WORKERS"] == "3"


@pytest.mark.slow
def test_a_run_uses_the_workers_the_task_file_gives(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": PYPROJECT.format(workers="$PYTEST_WORKERS"),
            "tests/test_x.py": "".join(f"def test_{i}():\n    pass\n" for i in range(4)),
        },
    )
    assert run_cli(["ports", "--task", "t1"], project).returncode == 0
    env_file = project / ".zenflow/tasks/t1/.env.task"
    env_file.write_text(env_file.read_text().replace("PYTEST_WORKERS=auto", "PYTEST_WORKERS=2"))
    done = run_cli(["run", "--task", "t1"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((project / ".zenboard/reports/latest/summary.json").read_text())
    assert sorted(summary["suites"][0]["workers"]) == ["gw0", "gw1"]

    env_file.write_text(env_file.read_text().replace("PYTEST_WORKERS=2", "PYTEST_WORKERS=lots"))
    done = run_cli(["run", "--task", "t1"], project)
    assert done.returncode == 2
    assert done.stderr == (
        'zenboard: error: suite unit: workers = "$PYTEST_WORKERS", but PYTEST_WORKERS is '
        "'lots' (in .env.task, the suite's env or the environment): expected auto or a whole "
        "number from 0 to 256\n"
    )
