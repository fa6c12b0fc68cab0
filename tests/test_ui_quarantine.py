"""The dashboard on a project with a quarantine: quarantined failures are tagged, not counted.

Driven on real pytest runs, as `tests/test_ui_pilot.py` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import card_text, settled, wait_until, write_project
from tests.test_ui_failure_rows import rows
from zenboard.ui.launcher import make_app
from zenboard.ui.widgets.run_header import RunHeader
from zenboard.ui.widgets.tests_list import TestsList

pytestmark = pytest.mark.slow  # every test here starts pytest or zenboard processes

QUARANTINED = {
    "pyproject.toml": """
        [tool.zenboard]
        [[tool.zenboard.suites]]
        name = "unit"
        args = ["tests/test_unit.py", "-p", "no:cacheprovider"]
        workers = 0

        [[tool.zenboard.suites]]
        name = "calm"
        args = ["tests/test_calm.py", "-p", "no:cacheprovider"]
        workers = 0

        [tool.zenboard.quarantine]
        "tests/test_unit.py::test_known_flaky" = "flaky under load"
        "tests/test_calm.py::test_times_out" = "times out on CI"
    """,
    "tests/test_unit.py": """
        def test_ok():
            pass

        def test_known_flaky():
            assert False, "quarantined failure"

        def test_broken():
            assert False, "a real failure"
    """,
    "tests/test_calm.py": """
        def test_fine():
            pass

        def test_times_out():
            assert False, "quarantined too"
    """,
}


async def test_quarantined_failures_are_tagged_and_not_counted_as_failures(tmp_path: Path) -> None:
    app = make_app(write_project(tmp_path / "q", QUARANTINED), run_at_start=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: settled(app), "the run")
        table = app.query_one(TestsList)
        await wait_until(pilot, lambda: table.row_count == 3, "the failures' rows")
        await pilot.pause(0.3)  # the cards and the header paint on the app's own timer
        drawn = dict(zip((nodeid for _, nodeid in table.row_keys()), rows(table), strict=True))
        flaky = drawn["tests/test_unit.py::test_known_flaky"]
        assert flaky.endswith("test_known_flaky quarantined AssertionEr…")  # tag, then reason
        assert "quarantined" not in drawn["tests/test_unit.py::test_broken"]
        assert (
            "test_times_out   quarantined Assertion" in drawn["tests/test_calm.py::test_times_out"]
        )
        assert str(table.border_title) == "failures: 3  2 quarantined (not counted as failures)"

        calm = card_text(app, "calm")
        assert calm.startswith("passed")  # its only failure is quarantined
        assert "1 passed  1 failed  (1 quarantined: not counted)" in calm
        unit = card_text(app, "unit")
        assert unit.startswith("failed") and "(1 quarantined: not counted)" in unit

        header = app.query_one(RunHeader).render().plain
        assert " failed " in header  # the run failed: test_broken
        assert "1 failed  2 quarantined (not counted)" in header
