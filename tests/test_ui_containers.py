"""The dashboard's containers panel against a real Docker engine (scripts/docker-up.sh starts one).

A task project (`[tool.zenboard.ports]`) with an explicit task id; two containers carry Compose's
labels for the task's compose project, one healthy and one unhealthy. The app opens idle (as
`zenboard launch --no-run`) and the test reads the panel as drawn on screen: both services with
the right health, then the healthy one flips to unhealthy inside the container and the panel
follows. Waits are bounded only so a broken run fails instead of hanging; nothing is timed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.geometry import Region

from tests.helpers import docker, docker_image, wait_until
from zenboard.tasks.identity import compose_project_name
from zenboard.ui.app import ZenboardApp
from zenboard.ui.launcher import make_app

pytestmark = [pytest.mark.docker, pytest.mark.slow]  # starts processes: not in the fast tier


@pytest.fixture(scope="module")
def image() -> str:
    """A running engine and the local busybox image."""
    return docker_image()


@pytest.fixture
def task(image: str, isolated_state: None) -> Iterator[str]:
    """A task id of this test's own (a port registry of its own too); every container of its
    compose project is removed after."""
    task_id = f"zbui-{uuid.uuid4().hex[:10]}"
    yield task_id
    label = f"label=com.docker.compose.project={compose_project_name(task_id)}"
    ids = docker("ps", "-aq", "--filter", label, check=False).split()
    if ids:
        docker("rm", "-f", *ids, check=False)


def start(image: str, task_id: str, service: str, health_cmd: str, *command: str) -> str:
    return docker(
        "run",
        "-d",
        "--label",
        f"com.docker.compose.project={compose_project_name(task_id)}",
        "--label",
        f"com.docker.compose.service={service}",
        "--health-cmd",
        health_cmd,
        "--health-interval",
        "1s",
        "--health-retries",
        "1",
        image,
        *command,
    )


def panel_rows(app: ZenboardApp) -> dict[str, str]:
    """The containers panel as drawn: each service's row, by the service's name."""
    panel = app.containers_panel
    width, height = panel.outer_size
    lines = [strip.text for strip in panel.render_lines(Region(0, 0, width, height))]
    rows: dict[str, str] = {}
    for line in lines[1:-1]:  # inside the border
        words = line.strip("│ ").split()
        if words:
            rows[words[0]] = line
    return rows


def health_shown(app: ZenboardApp, service: str) -> str | None:
    row = panel_rows(app).get(service)
    if row is None:
        return None
    words = row.strip("│ ").split()
    return next((w for w in words if w in ("healthy", "unhealthy", "starting", "none")), None)


async def test_containers_panel_shows_health_and_follows_a_flip(
    image: str, task: str, tmp_path: Path
) -> None:
    project = tmp_path / "shop"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_nothing.py").write_text("def test_ok():\n    pass\n")
    (project / "pyproject.toml").write_text(
        "[tool.zenboard]\n"
        '[[tool.zenboard.suites]]\nname = "unit"\nargs = ["-p", "no:cacheprovider"]\n'
        "workers = 0\n\n"
        "[tool.zenboard.ports]\nservices = { web = 80, api = 8080 }\n"
    )
    web = start(
        image, task, "web", "test -f /tmp/healthy", "sh", "-c", "touch /tmp/healthy; sleep 300"
    )
    start(image, task, "api", "false", "sleep", "300")
    start(image, task, "worker", "true", "sleep", "300")  # a service the task assigns no port

    app = make_app(project, run_at_start=False, task=task)
    async with app.run_test(size=(160, 45)) as pilot:
        assert app.containers_panel.border_title == "containers"
        await wait_until(
            pilot,
            lambda: (
                (health_shown(app, "web"), health_shown(app, "api"), health_shown(app, "worker"))
                == ("healthy", "unhealthy", "healthy")
            ),
            "web healthy, api unhealthy and worker healthy on screen",
        )
        rows = panel_rows(app)
        assert set(rows) == {"web", "api", "worker"}
        # web and api were assigned ports but publish none: a real mismatch; worker has nothing
        # to compare, so it gets the neutral mark
        assert "ports WRONG" in rows["web"] and "ports WRONG" in rows["api"]
        assert "ports —" in rows["worker"] and "WRONG" not in rows["worker"]
        assert "running" in rows["web"] and "running" in rows["api"]
        assert "✗" in rows["api"]  # the failing streak of its health check

        docker("exec", web, "rm", "/tmp/healthy")
        await wait_until(
            pilot, lambda: health_shown(app, "web") == "unhealthy", "web to turn unhealthy"
        )
        assert health_shown(app, "api") == "unhealthy"
        assert app.session.state.suites["unit"].runs == 0  # opened idle, as --no-run
        await pilot.press("q")
