"""Suites that wait for what they `needs`, on a real engine with real Compose v2.

The project's `db` suite needs a service whose health check passes only once the container has
made a file, a few seconds after it starts; its one test records, when it runs, the container's
health as Docker reports it, with Docker's own log of the health checks, and the moment it ran.
Ordering is read from those records, never from how long anything took.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.helpers import compose_ready, remove_compose_project, run_cli, write_project

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.usefixtures("isolated_state")]

COMPOSE = """
services:
  slow:
    image: {image}
    init: true
    command: ["sh", "-c", "sleep 3; touch /tmp/ready; sleep 100000"]
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready || (echo 'not ready yet'; exit 1)"]
      interval: 1s
      retries: 1000
"""
PYPROJECT = """
[tool.zenboard]
[[tool.zenboard.suites]]
name = "unit"
workers = 0
args = ["tests/test_unit.py"]
[[tool.zenboard.suites]]
name = "db"
workers = 0
args = ["tests/test_db.py"]
needs = ["slow"]
needs_timeout = {timeout}
[tool.zenboard.ports]
services = {{ web = 8080 }}
"""
DB_TEST = """
import json, os, subprocess, time

def test_runs_against_a_healthy_service():
    started = time.time()
    project = os.environ["COMPOSE_PROJECT_NAME"]
    ids = subprocess.run(
        ["docker", "ps", "-q", "--filter", f"label=com.docker.compose.project={project}"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    inspected = json.loads(subprocess.run(
        ["docker", "inspect", *ids], capture_output=True, text=True, check=True
    ).stdout)
    health = inspected[0]["State"]["Health"]
    with open(os.environ["RECORD"], "w") as f:
        json.dump({"started": started, "status": health["Status"], "log": health["Log"]}, f)
"""


@pytest.fixture
def task() -> Iterator[str]:
    task_id = f"zbnd-{uuid.uuid4().hex[:10]}"
    yield task_id
    remove_compose_project(task_id)


def _project(root: Path, image: str, timeout: int = 120) -> Path:
    return write_project(
        root,
        {
            "pyproject.toml": PYPROJECT.format(timeout=timeout),
            "compose.yaml": COMPOSE.format(image=image),
            "tests/test_unit.py": "def test_unit():\n    pass\n",
            "tests/test_db.py": DB_TEST,
        },
    )


def _docker_time(stamp: str) -> float:
    """Docker's RFC 3339 time with nanoseconds, as seconds since the epoch."""
    head, _, rest = stamp.partition(".")
    fraction, zone = rest[:6], rest.lstrip("0123456789")
    return datetime.fromisoformat(f"{head}.{fraction.ljust(6, '0')}{zone}").timestamp()


def test_a_suite_with_needs_starts_only_after_its_service_is_healthy(
    tmp_path: Path, task: str
) -> None:
    project = _project(tmp_path / "p", compose_ready())
    record = tmp_path / "record.json"
    done = run_cli(["run", "--up", "--task", task], project, env={"RECORD": str(record)})
    assert done.returncode == 0, done.stdout + done.stderr
    seen = json.loads(record.read_text())
    assert seen["status"] == "healthy"  # as Docker said it while the suite's test ran
    passed = [_docker_time(c["End"]) for c in seen["log"] if c["ExitCode"] == 0]
    failed = [c for c in seen["log"] if c["ExitCode"] != 0]
    assert passed and min(passed) <= seen["started"]  # a check had passed before it ran
    assert all(_docker_time(c["End"]) < seen["started"] for c in failed)
    assert "[db] waiting for slow: starting, " in done.stdout
    lines = done.stdout.splitlines()
    waiting = [i for i, line in enumerate(lines) if line.startswith("[db] waiting for")]
    running = [i for i, line in enumerate(lines) if line.startswith("[db] running")]
    assert waiting and running and max(waiting) < min(running)
    assert lines[-1] == "services: the task's services keep running: `zenboard down` stops them"


def test_a_needs_timeout_ends_the_suite_as_an_error_naming_what_it_waited_for(
    tmp_path: Path, task: str
) -> None:
    project = _project(tmp_path / "p", compose_ready(), timeout=2)
    compose = project / "compose.yaml"
    compose.write_text(compose.read_text().replace("sleep 3;", "sleep 100000;"))
    record = tmp_path / "record.json"
    done = run_cli(["run", "--up", "--task", task], project, env={"RECORD": str(record)})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[db] ERROR waited 2 s for what it needs: slow: starting" in done.stdout
    assert "(last check: not ready yet)" in done.stdout
    assert not record.exists()  # its test never ran
    summary = json.loads((project / ".zenboard/reports/latest/summary.json").read_text())
    suites = {s["name"]: s for s in summary["suites"]}
    assert suites["db"]["status"] == "error"
    assert "waited 2 s for what it needs" in json.dumps(suites["db"]["errors"])
    assert suites["unit"]["status"] == "passed"


def test_without_docker_a_suite_that_needs_a_service_errors_at_once(
    tmp_path: Path, task: str
) -> None:
    project = _project(tmp_path / "p", "zenboard-busybox:latest", timeout=3600)
    dead = f"unix://{tmp_path}/no-docker.sock"
    done = run_cli(["run", "--task", task], project, env={"DOCKER_HOST": dead})
    assert done.returncode == 1, done.stdout + done.stderr  # it returned: it did not wait 3600 s
    assert (
        f"[db] ERROR docker unavailable: no Docker daemon socket at {dead} (it needs slow)"
        in done.stdout
    )
    assert "[unit] passed 1/1" in done.stdout  # a suite that needs nothing still runs
