"""`up`, `down` and `run --up` refuse bad input before they claim ports or write task files.

A project without a ports table has no tasks; a command that ends in one line and exit 2 (no
compose file, no Docker engine) must leave it so: no `.zenflow/`, no claim in the registry.
No engine is needed: the engine is pointed at a socket that does not exist.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli, write_project

pytestmark = pytest.mark.usefixtures("isolated_state")

PYPROJECT = """
[[tool.zenboard.suites]]
name = "unit"
workers = 0
"""
COMPOSE = """
services:
  web:
    image: zenboard-busybox:latest
    ports: ["8080:8080"]
"""


@pytest.mark.parametrize("command", [["up"], ["down"], ["run", "--ci", "--up"]])
@pytest.mark.parametrize("compose_file", [False, True])
def test_refused_input_claims_no_ports_and_writes_no_task_files(
    tmp_path: Path, command: list[str], compose_file: bool
) -> None:
    project = tmp_path / "proj"
    files = {"pyproject.toml": PYPROJECT, "tests/test_a.py": "def test_a():\n    pass\n"}
    if compose_file:
        files["compose.yaml"] = COMPOSE
    write_project(project, files)
    dead = f"unix://{tmp_path}/no-docker.sock"
    done = run_cli(command, project, env={"DOCKER_HOST": dead})
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("zenboard: error: docker unavailable: ")
    assert not (project / ".zenflow").exists()
    assert not (tmp_path / "state" / "zenboard" / "ports.json").exists()
