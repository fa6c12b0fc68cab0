"""`zenboard up` and `down` on a real engine with real Compose v2 (scripts/compose-up.sh).

Every test has its own task id, so its own Compose project, and removes whatever Docker holds
with that project's label afterwards. Waits are bounded and nothing asserts how fast anything
went: bench/bench_compose_up.py does that.
"""

from __future__ import annotations

import json
import socket
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import compose_ready, docker, remove_compose_project, run_cli, write_project
from zenboard.tasks.envfile import parse_env_file

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.usefixtures("isolated_state")]

PYPROJECT = """
[tool.zenboard]
[[tool.zenboard.suites]]
name = "unit"
workers = 0
[tool.zenboard.ports]
services = { web = 8080 }
"""
WEB = """
  web:
    image: {image}
    init: true
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    ports: ["8080:8080"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
      retries: 5
"""
NEVER_HEALTHY = """
  db:
    image: {image}
    init: true
    command: ["sh", "-c", "echo db booting; echo 'FATAL: no pg_hba.conf entry'; sleep 100000"]
    healthcheck:
      test: ["CMD-SHELL", "echo 'pg_isready: no response'; exit 1"]
      interval: 1s
      retries: 2
"""


@pytest.fixture(scope="module")
def image() -> str:
    return compose_ready()


@pytest.fixture
def task() -> Iterator[str]:
    task_id = f"zbup-{uuid.uuid4().hex[:10]}"
    yield task_id
    remove_compose_project(task_id)


def _project(root: Path, image: str, *services: str, volumes: str = "") -> Path:
    body = "services:" + "".join(s.format(image=image) for s in services) + volumes
    return write_project(root, {"pyproject.toml": PYPROJECT, "compose.yaml": body})


def _containers(task: str) -> list[dict[str, object]]:
    ids = docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={task}").split()
    return json.loads(docker("inspect", *ids)) if ids else []


def _web_port(project: Path, task: str) -> int:
    env = parse_env_file(project / ".zenflow" / "tasks" / task / ".env.task").values
    return int(env["WEB_PORT"])


def test_up_reaches_healthy_with_the_task_ports_published(
    tmp_path: Path, image: str, task: str
) -> None:
    project = _project(tmp_path, image, WEB)
    done = run_cli(["up", "--task", task, "--timeout", "60"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    port = _web_port(project, task)
    [web] = _containers(task)
    assert web["State"]["Health"]["Status"] == "healthy"  # type: ignore[index]
    published = web["NetworkSettings"]["Ports"]["8080/tcp"]  # type: ignore[index]
    assert {int(p["HostPort"]) for p in published} == {port}  # the task's, not the base's 8080
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
        assert page.read().decode().strip() == "zenboard"  # the image's /www/index.html
    assert "ready after" in done.stdout
    assert "web healthy" in done.stdout
    assert done.stdout.rstrip().endswith("`zenboard down` stops them")


def test_up_with_a_service_that_never_gets_healthy_exits_1_with_its_health_output(
    tmp_path: Path, image: str, task: str
) -> None:
    project = _project(tmp_path, image, WEB, NEVER_HEALTHY)
    done = run_cli(["up", "--task", task, "--timeout", "60"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    [line] = done.stderr.splitlines()  # one line
    assert line.startswith("zenboard: up: db is unhealthy after ")
    assert "last check: pg_isready: no response" in line
    assert "last log lines: db booting | FATAL: no pg_hba.conf entry" in line


def test_up_not_healthy_in_time_exits_1_naming_the_service(
    tmp_path: Path, image: str, task: str
) -> None:
    project = _project(tmp_path, image, NEVER_HEALTHY.replace("retries: 2", "retries: 1000"))
    done = run_cli(["up", "--task", task, "--timeout", "2"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("zenboard: up: not ready within 2 s: db is starting after ")
    assert "last check: pg_isready: no response" in line


def test_down_leaves_nothing_and_volumes_only_with_the_flag(
    tmp_path: Path, image: str, task: str
) -> None:
    web = WEB + '    volumes: ["data:/data"]\n'
    project = _project(tmp_path, image, web, volumes="\nvolumes:\n  data: {}\n")
    assert run_cli(["up", "--task", task], project).returncode == 0
    label = f"label=com.docker.compose.project={task}"
    assert docker("network", "ls", "-q", "--filter", label)

    done = run_cli(["down", "--task", task], project)
    assert done.returncode == 0, done.stderr
    assert _containers(task) == []
    assert docker("network", "ls", "-q", "--filter", label) == ""
    assert docker("volume", "ls", "-q", "--filter", label) != ""  # kept without --volumes

    assert run_cli(["up", "--task", task], project).returncode == 0
    done = run_cli(["down", "--task", task, "--volumes"], project)
    assert done.returncode == 0, done.stderr
    assert _containers(task) == []
    assert docker("network", "ls", "-q", "--filter", label) == ""
    assert docker("volume", "ls", "-q", "--filter", label) == ""


def test_up_refuses_a_port_held_by_something_else_before_compose_runs(
    tmp_path: Path, image: str, task: str
) -> None:
    project = _project(tmp_path, image, WEB)
    assert run_cli(["ports", "--task", task], project).returncode == 0
    port = _web_port(project, task)
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("0.0.0.0", port))
        holder.listen()
        done = run_cli(["up", "--task", task], project)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"zenboard: up: port {port} of web is held by something else: "
        "`zenboard ports --reassign` moves the task off it"
    )
    assert _containers(task) == []


def test_up_without_a_compose_file_or_an_engine_is_one_line_and_exit_2(
    tmp_path: Path, image: str, task: str
) -> None:
    project = write_project(tmp_path, {"pyproject.toml": PYPROJECT})
    done = run_cli(["up", "--task", task], project)
    assert done.returncode == 2
    assert done.stderr.startswith(f"zenboard: error: no compose file in {project} ")
    assert len(done.stderr.splitlines()) == 1

    _project(tmp_path, image, WEB)
    dead = f"unix://{tmp_path}/no-docker.sock"
    done = run_cli(["up", "--task", task], project, env={"DOCKER_HOST": dead})
    assert done.returncode == 2
    assert (
        done.stderr == f"zenboard: error: docker unavailable: no Docker daemon socket at {dead}\n"
    )
