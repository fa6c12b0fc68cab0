"""The demo's services on screen: a copy of the demo, its task's containers, its `services` suite.

The dashboard opens on a demo copy as `zenboard demo` opens it (its own task, `up`), showing
only the `services` suite, which needs the demo's `web` and `db`: the test reads the ports and
containers panels and the suite's card as drawn, sees the containers become healthy and the
suite wait, then pass; the demo's own take-down leaves nothing. Without Docker the panel says
why, the suite errors at once, and another suite runs. Bounded waits; nothing is timed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import card_text, compose_ready, docker, remove_compose_project, wait_until
from tests.test_terminal_safety import drawn
from tests.test_ui_containers import health_shown, panel_rows
from zenboard.commands import demo
from zenboard.model.state import SuiteStatus
from zenboard.tasks.envfile import parse_env_file
from zenboard.ui.launcher import make_app

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def unspaced(text: str) -> str:
    """A panel's text without its frame or any space: a long line wraps anywhere."""
    return "".join(line.strip("│╭╮╰╯─ ").replace(" ", "") for line in text.splitlines())


@pytest.fixture
def copy(tmp_path: Path, isolated_state: None) -> Iterator[Path]:
    target = demo.copy_demo(tmp_path / "demo")
    yield target
    remove_compose_project(demo.demo_task(target))


async def test_the_demos_containers_turn_healthy_on_screen_and_go_at_the_end(
    copy: Path,
) -> None:
    compose_ready()
    task = demo.demo_task(copy)
    app = make_app(copy, suites=["services"], task=task, up=True)
    cards: list[str] = []
    async with app.run_test(size=(160, 45)) as pilot:

        def services_passed() -> bool:
            cards.append(card_text(app, "services"))
            return app.session.state.suites["services"].status is SuiteStatus.PASSED

        await wait_until(pilot, services_passed, "the services suite to pass")
        await wait_until(
            pilot,
            lambda: health_shown(app, "web") == "healthy" and health_shown(app, "db") == "healthy",
            "web and db healthy in the containers panel",
        )
        env = parse_env_file(copy / ".zenflow" / "tasks" / task / ".env.task").values
        assert "ports ok" in panel_rows(app)["web"] and "ports ok" in panel_rows(app)["db"]
        ports = drawn(app.ports_panel)
        assert f"web  {env['WEB_PORT']}  task" in ports
        assert f"db   {env['DB_PORT']}  task" in ports
        await pilot.press("q")
    waited = [text for text in cards if "waiting for" in text]
    assert waited, cards[:3]  # it waited on screen before it ran
    assert "waiting for db: starting" in "\n".join(waited)
    said: list[str] = []
    demo._take_down(copy, task, said.append)
    assert said == ["demo: its services are down (docker compose down)"]
    label = f"label=com.docker.compose.project={task}"
    assert docker("ps", "-aq", "--filter", label) == ""
    assert docker("network", "ls", "-q", "--filter", label) == ""


async def test_without_docker_the_panel_says_why_and_other_suites_run(
    copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"unix://{tmp_path}/no-docker.sock"
    monkeypatch.setenv("DOCKER_HOST", dead)
    app = make_app(copy, suites=["services", "isolation"], task=demo.demo_task(copy), up=True)
    async with app.run_test(size=(160, 45)) as pilot:
        state = app.session.state.suites
        await wait_until(
            pilot,
            lambda: state["services"].status.finished and state["isolation"].status.finished,
            "both suites to end",
        )
        assert state["services"].status is SuiteStatus.ERROR
        assert state["services"].error == (
            f"docker unavailable: no Docker daemon socket at {dead} (it needs web, db)"
        )
        assert state["isolation"].status in (SuiteStatus.PASSED, SuiteStatus.FAILED)
        await wait_until(
            pilot,
            lambda: (
                unspaced(f"docker unavailable: no Docker daemon socket at {dead}")
                in unspaced(drawn(app.containers_panel))
            ),
            "the containers panel to say why",
        )
        await pilot.press("q")
