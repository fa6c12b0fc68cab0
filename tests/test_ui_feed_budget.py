"""The dashboard on a real run: `launch --events` and a budget the launch went over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import settled, wait_until, write_project
from zenboard.ui.launcher import make_app

pytestmark = pytest.mark.slow  # starts pytest subprocesses

PROJECT = {
    "pyproject.toml": """
        [tool.zenboard]
        budget = 0.01
        [[tool.zenboard.suites]]
        name = "solo"
        workers = 0
    """,
    "tests/test_fine.py": "def test_fine():\n    pass\n",
}


async def test_a_launch_over_its_budget_says_so_exits_1_and_feeds_its_events(
    tmp_path: Path,
) -> None:
    project = write_project(tmp_path / "proj", PROJECT)
    feed = tmp_path / "events.jsonl"
    app = make_app(project, run_at_start=True, events=feed)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: settled(app), "the suite to finish")
        await wait_until(pilot, lambda: app.session.over_budget, "the budget check")
        await wait_until(
            pilot,
            lambda: any(s.startswith("budget exceeded: the run took") for s in app.said),
            "the budget notification",
        )
        assert app.session.exit_code() == 1  # the one test passed: only the budget fails it
        await wait_until(pilot, lambda: "over budget" in app.header.render().plain, "the header")
        header = app.header.render()
        assert " passed · over budget " in header.plain, "not a plain green `passed`"
        label = next(s for s in header.spans if "over budget" in header.plain[s.start : s.end])
        assert "red" in str(label.style) and "green" not in str(label.style)
        await pilot.press("q")
        await wait_until(pilot, lambda: app.return_value is not None, "the app to quit")
    assert app.return_value == 1  # what `zenboard launch` exits with
    lines = [json.loads(line) for line in feed.read_text().splitlines()]
    assert lines[0]["type"] == "run_started" and lines[0]["suites"] == ["solo"]
    assert lines[-1] == {**lines[-1], "type": "run_finished", "exit_code": 1}
    finished = [e for e in lines if e["type"] == "test_finished"]
    assert [(e["suite"], e["nodeid"], e["outcome"]) for e in finished] == [
        ("solo", "tests/test_fine.py::test_fine", "passed")
    ]
