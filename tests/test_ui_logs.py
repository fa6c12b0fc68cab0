"""A service's logs in the dashboard, against a real Docker engine: `l` on the containers panel
opens the last lines, new lines follow live, control characters in them are spelled out, and
closing the screen ends the stream. Waits are bounded only so a broken run fails; nothing is
timed (bench/bench_service_events.py times it)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import docker, docker_image, wait_until
from zenboard.tasks.identity import compose_project_name
from zenboard.ui.launcher import make_app
from zenboard.ui.screens.logs import LogsScreen

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture
def task(isolated_state: None) -> Iterator[str]:
    docker_image()
    task_id = f"zblogs-{uuid.uuid4().hex[:10]}"
    yield task_id
    label = f"label=com.docker.compose.project={compose_project_name(task_id)}"
    ids = docker("ps", "-aq", "--filter", label, check=False).split()
    if ids:
        docker("rm", "-f", *ids, check=False)


def shown(screen: LogsScreen) -> list[str]:
    return [line.text for line in screen.body.lines]


async def test_logs_show_the_last_lines_then_live_and_stop_when_closed(
    task: str, tmp_path: Path
) -> None:
    project = tmp_path / "shop"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_nothing.py").write_text("def test_ok():\n    pass\n")
    (project / "pyproject.toml").write_text(
        '[tool.zenboard]\n[[tool.zenboard.suites]]\nname = "unit"\nworkers = 0\n\n'
        "[tool.zenboard.ports]\nservices = { web = 80 }\n"
    )
    script = (
        "i=0; while [ $i -lt 300 ]; do echo old-$i; i=$((i+1)); done; "
        r"printf 'evil \033[31mred\033[0m [bold]x[/]\n'; "
        "while [ ! -f /tmp/go ]; do sleep 0.1; done; echo live-line; sleep 300"
    )
    container = docker(
        "run", "-d", "--label", f"com.docker.compose.project={compose_project_name(task)}",
        "--label", "com.docker.compose.service=web", docker_image(), "sh", "-c", script,
    )  # fmt: skip
    app = make_app(project, run_at_start=False, task=task)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(
            pilot, lambda: bool(app.containers_panel.rows), "the web service in the panel"
        )
        app.containers_panel.focus()
        await pilot.press("l")
        await wait_until(
            pilot, lambda: isinstance(app.screen, LogsScreen), "the logs screen to open"
        )
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        await wait_until(pilot, lambda: any("evil" in t for t in shown(screen)), "the tail")
        lines = shown(screen)
        assert lines[0] == "old-101" and len(lines) == 200  # the last 200 lines, the evil one last
        assert all(line.time > 0 for line in screen.body.lines)  # Docker's timestamps parsed
        assert "live-line" not in lines
        docker("exec", container, "touch", "/tmp/go")
        await wait_until(pilot, lambda: "live-line" in shown(screen), "a new line to follow live")
        await pilot.pause()
        width = screen.body.scrollable_content_region.width
        drawn = [screen.body.render_line(y).text for y in range(screen.body.view_height)]
        evil = next(line for line in drawn if "evil" in line)
        assert "\\x1b[31mred\\x1b[0m [bold]x[/]" in evil  # spelled out, not obeyed or markup
        assert all(len(line) == width for line in drawn)
        follower = screen.follower
        assert follower.alive
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, LogsScreen), "closed")
        assert not follower.alive  # the stream was closed with the screen
