"""The task's services beside a failure, on a real Docker engine: a health flip and a restart
during a failing test are shown in its details and printed by `run --ci`; a failure whose
window (its start to its end, a second either side) they fall outside of shows none.

The project's two tests run in order without xdist. `test_a_fails_first` fails at once;
`test_b_flips_the_service` waits 2.5 s (past a's window), then removes the file the container's
health check tests, waits until Docker calls the container unhealthy, restarts it, and fails.
Waits are bounded only so a broken run fails; nothing is timed.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import docker, docker_image, run_cli, settled, wait_for, wait_until
from zenboard.tasks.identity import compose_project_name
from zenboard.ui.launcher import make_app
from zenboard.ui.screens.details import TestDetailsScreen

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TESTS = """
import json, os, subprocess, time

C = os.environ["ZB_CONTAINER"]

def health():
    out = subprocess.run(["docker", "inspect", C], capture_output=True, text=True).stdout
    return json.loads(out)[0]["State"]["Health"]["Status"]

def test_a_fails_first():
    assert False, "a fails before anything happens to the service"

def test_b_flips_the_service():
    time.sleep(2.5)
    subprocess.run(["docker", "exec", C, "rm", "/tmp/ok"], check=True)
    end = time.time() + 30
    while health() != "unhealthy" and time.time() < end:
        time.sleep(0.1)
    subprocess.run(["docker", "restart", "-t", "0", C], check=True, capture_output=True)
    assert False, "b fails while its database flaps"
"""


@pytest.fixture
def service(tmp_path: Path, isolated_state: None) -> Iterator[tuple[Path, str, str]]:
    """The project, its task id and its database container (healthy), removed after."""
    image = docker_image()
    task = f"zbbeside-{uuid.uuid4().hex[:8]}"
    project = tmp_path / "shop"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_db.py").write_text(TESTS)
    (project / "pyproject.toml").write_text(
        '[tool.zenboard]\n[[tool.zenboard.suites]]\nname = "unit"\nworkers = 0\n'
        'args = ["-p", "no:randomly"]\n\n[tool.zenboard.ports]\nservices = { db = 5432 }\n'
    )
    container = docker(
        "run", "-d", "--label", f"com.docker.compose.project={compose_project_name(task)}",
        "--label", "com.docker.compose.service=db", "--health-cmd", "test -f /tmp/ok",
        "--health-interval", "1s", "--health-retries", "1",
        image, "sh", "-c", "touch /tmp/ok; sleep 300",
    )  # fmt: skip
    wait_for(
        lambda: (
            json.loads(docker("inspect", container))[0]["State"]["Health"]["Status"] == "healthy"
        ),
        "the database to be healthy",
    )
    yield project, task, container
    docker("rm", "-f", container, check=False)


async def test_a_failure_s_details_show_the_services_in_its_window(
    service: tuple[Path, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, task, container = service
    monkeypatch.setenv("ZB_CONTAINER", container)
    app = make_app(project, run_at_start=True, task=task)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: settled(app), "the run to end", deadline=120)
        tests = app.session.state.suites["unit"].tests
        late = tests["tests/test_db.py::test_b_flips_the_service"]
        early = tests["tests/test_db.py::test_a_fails_first"]
        assert late.failed and early.failed
        assert late.started_at is not None and late.finished_at is not None
        assert late.started_at <= late.finished_at

        app.show_details("unit", late.nodeid)
        screen = app.screen
        assert isinstance(screen, TestDetailsScreen)
        await wait_until(pilot, lambda: screen.services is not None, "the services read")
        assert screen.services is not None
        said = [e.text() for e in screen.services.events]
        assert "db health: unhealthy" in said
        assert "db restarted" in said
        assert all(screen.services.since <= e.time <= screen.services.until for e in
                   screen.services.events)  # fmt: skip
        drawn = str(screen.query_one("#details-services").render())
        assert "services during this test" in drawn and "db health: unhealthy" in drawn
        await pilot.press("escape")

        app.show_details("unit", early.nodeid)
        screen = app.screen
        assert isinstance(screen, TestDetailsScreen)
        await wait_until(pilot, lambda: screen.services is not None, "the services read")
        assert screen.services is not None and screen.services.events == ()
        drawn = str(screen.query_one("#details-services").render())
        assert "nothing: no health flip, restart, exit or log line" in drawn
        await pilot.press("escape")


def test_run_ci_prints_the_events_beside_the_failure(service: tuple[Path, str, str]) -> None:
    project, task, container = service
    result = run_cli(["run", "--ci", "--task", task], project, env={"ZB_CONTAINER": container})
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "services during failures" in out, out
    block = out[out.index("services during failures") :]
    assert "[unit] tests/test_db.py::test_b_flips_the_service" in block
    assert "db health: unhealthy" in block and "db restarted" in block
    assert "test_a_fails_first" not in block  # its window holds nothing
    assert os.environ.get("ZB_CONTAINER") is None  # the variable was the subprocess's only
