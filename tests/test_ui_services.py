"""Starting, stopping and restarting the task's services from the dashboard, on real Compose.

The app opens idle on a task project whose compose file has one service (busybox's httpd with a
health check). Keys on the containers panel and the palette run Compose on a thread of the
infra source; the test reads the panel as drawn, and Docker itself, for what happened. Waits
are bounded so that a broken run fails; nothing is timed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import compose_ready, docker, remove_compose_project, wait_until, write_project
from tests.test_compose_up import PYPROJECT, WEB
from tests.test_ui_containers import health_shown, panel_rows
from zenboard.ui.launcher import make_app

pytestmark = [pytest.mark.docker, pytest.mark.slow]

COMPOSE = "services:" + WEB


@pytest.fixture
def task(isolated_state: None) -> Iterator[str]:
    task_id = f"zbsv-{uuid.uuid4().hex[:10]}"
    yield task_id
    remove_compose_project(task_id)


def _state(task: str) -> str:
    ids = docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={task}").split()
    if not ids:
        return "gone"
    [data] = json.loads(docker("inspect", *ids))
    return str(data["State"]["Status"])


async def test_the_containers_panel_starts_stops_and_restarts_a_service(
    tmp_path: Path, task: str
) -> None:
    image = compose_ready()
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": PYPROJECT,
            "compose.yaml": COMPOSE.format(image=image),
            "tests/test_a.py": "def test_a():\n    pass\n",
        },
    )
    app = make_app(project, run_at_start=False, task=task)
    async with app.run_test(size=(160, 45)) as pilot:
        panel = app.containers_panel
        await wait_until(pilot, lambda: "web" in panel_rows(app), "web listed, not created")
        assert "not created" in panel_rows(app)["web"]
        panel.focus()
        await pilot.press("s")
        await wait_until(pilot, lambda: health_shown(app, "web") == "healthy", "web healthy")
        assert any("web: started" in said for said in app.said)

        await pilot.press("x")
        await wait_until(pilot, lambda: _state(task) == "exited", "web stopped")
        await wait_until(pilot, lambda: "exited" in panel_rows(app).get("web", ""), "shown")

        await pilot.press("r")
        await wait_until(pilot, lambda: health_shown(app, "web") == "healthy", "web again")

        app.action_service_named("stop", "web")  # the palette's `Stop service web`
        await wait_until(pilot, lambda: _state(task) == "exited", "web stopped again")
        titles = [title for title, _, _ in app.service_palette()]
        assert titles == [
            "Start service web",
            "Stop service web",
            "Restart service web",
            "Show logs of service web",  # it has a container (stopped: its logs stay)
            "Stop and remove the task's services",
        ]
        app.action_services_down()
        await wait_until(pilot, lambda: _state(task) == "gone", "the task's services removed")
        await wait_until(pilot, lambda: "not created" in panel_rows(app).get("web", ""), "shown")
        await pilot.press("q")
