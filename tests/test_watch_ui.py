"""Watch mode in the dashboard (Pilot): `w` on, an edit reruns the affected suite, `w` off.

Real watchfiles on the project in tmp_path and real pytest runs; the screen is read from the
header widget, which keeps the last trigger's line.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from tests.helpers import suites_toml, wait_until, write_project
from zenboard.model.state import SuiteStatus
from zenboard.ui.app import ZenboardApp
from zenboard.ui.launcher import make_app

pytestmark = pytest.mark.slow  # starts processes: not in the fast tier

SIZE = (160, 45)
DEADLINE = 240.0
"""Longer than the other dashboard tests' wait: watchfiles arms and reruns on top of the runs."""


def header_text(app: ZenboardApp) -> str:
    console = Console(width=SIZE[0], record=True, file=io.StringIO())
    console.print(app.header.render())
    return console.export_text()


def launches(app: ZenboardApp, suite: str) -> int:
    return app.session.state.suites[suite].runs


async def test_w_turns_watch_on_an_edit_reruns_the_affected_suite_and_w_turns_it_off(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path / "shop",
        {
            "pyproject.toml": suites_toml(
                'name = "unit"\ncwd = "unit"\nargs = ["-p", "no:cacheprovider"]\nworkers = 0',
                'name = "solo"\ncwd = "solo"\nargs = ["-p", "no:cacheprovider"]\nworkers = 0',
            ),
            "unit/prices.py": "RATE = 2\n",
            "unit/test_prices.py": "from prices import RATE\n\ndef test_rate():\n    assert RATE == 2\n",
            "solo/test_solo.py": "def test_alone():\n    pass\n",
        },
    )
    app = make_app(project, run_at_start=True)
    async with app.run_test(size=SIZE) as pilot:
        state = app.session.state
        await wait_until(
            pilot,
            lambda: all(s.status.finished for s in state.suites.values()),
            "the first runs",
            DEADLINE,
        )
        await pilot.press("w")
        watcher = app.watch_mode.watcher
        assert watcher is not None
        await wait_until(pilot, watcher.ready.is_set, "the watcher to arm", DEADLINE)
        assert "watching ." in header_text(app)
        before = {name: launches(app, name) for name in ("unit", "solo")}
        (project / "unit/prices.py").write_text("RATE = 2  # edited\n")
        await wait_until(
            pilot,
            lambda: launches(app, "unit") > before["unit"] and state.suites["unit"].status.finished,
            "the affected suite to rerun",
            DEADLINE,
        )
        assert state.suites["unit"].status is SuiteStatus.PASSED
        assert launches(app, "solo") == before["solo"]
        assert "watch: 1 file changed (unit/prices.py) -> rerun: unit" in header_text(app)
        await pilot.press("w")
        assert app.watch_mode.watcher is None
        assert not watcher.active
        assert "watch" not in header_text(app)
