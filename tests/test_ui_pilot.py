"""The dashboard driving real runs: real pytest and xdist processes on small generated suites.

Each test writes a tiny project into tmp_path, opens the app with `App.run_test` and presses keys
as a person would; it then checks what the model, the widgets and the reports on disk say.
Waiting loops have a generous deadline so a slow CI machine fails loudly instead of hanging.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    DASHBOARD_PROJECT,
    card_text,
    press_until,
    run_cli,
    settled,
    wait_until,
    write_project,
)
from zenboard.model.state import SuiteStatus
from zenboard.ui.launcher import make_app
from zenboard.ui.render import sparkline
from zenboard.ui.widgets.suite_card import SuiteCard
from zenboard.ui.widgets.tests_list import TestsList

pytestmark = pytest.mark.slow  # starts processes: not in the fast tier

SIZE = (160, 45)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "shop", DASHBOARD_PROJECT)


def summary(project: Path) -> dict[str, Any]:
    data = json.loads((project / ".zenboard/reports/latest/summary.json").read_text())
    return {s["name"]: s for s in data["suites"]}


async def test_launch_runs_every_suite_and_matches_summary(project: Path) -> None:
    app = make_app(project, run_at_start=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: settled(app), "both suites to finish")
        await pilot.pause(0.1)
        written = summary(project)
        assert set(written) == {"unit", "solo"}
        for name, suite in written.items():
            text = card_text(app, name)
            state = app.session.state.suites[name]
            assert str(state.status) in text
            assert f"{suite['counts']['passed']} passed" in text
            for worker_id, worker in suite["workers"].items():
                row = next(line for line in text.splitlines() if line.strip().startswith(worker_id))
                assert f"{worker['done']}/" in row
                assert f"✓{worker['passed']}" in row
                assert f"✗{worker['failed']}" in row
        assert set(written["unit"]["workers"]) == {"gw0", "gw1"}
        assert set(written["solo"]["workers"]) == {"main"}
        page = (project / ".zenboard/reports/latest/report.html").read_text()
        assert '"name":"unit"' in page and '"name":"solo"' in page, "launch writes report.html"
        table = app.query_one(TestsList)
        failed = {
            (n, t["nodeid"])
            for n, s in written.items()
            for t in s["tests"]
            if t["outcome"] == "failed"
        }
        shown = set(table.row_keys())
        assert (
            shown
            == failed
            == {("unit", "tests/test_unit.py::test_bad"), ("solo", "tests/test_solo.py::test_beta")}
        )
        assert (project / ".zenboard/reports/latest/unit.xml").is_file()
    assert app.return_code in (None, 1)


async def test_keys_start_rerun_failed_and_details(project: Path) -> None:
    app = make_app(project, run_at_start=False)
    async with app.run_test(size=SIZE) as pilot:
        assert "idle" in card_text(app, "unit")
        assert "pytest tests/test_unit.py -p no:cacheprovider -n 2" in card_text(app, "unit")
        await pilot.press("r")  # the first card (unit) is selected
        await wait_until(
            pilot, lambda: settled(app) and app.session.state.suites["unit"].runs == 1, "unit"
        )
        assert app.session.state.suites["solo"].status is SuiteStatus.IDLE
        assert app.session.state.suites["unit"].status is SuiteStatus.FAILED
        await pilot.press("f")
        await wait_until(
            pilot, lambda: settled(app) and app.session.state.suites["unit"].runs == 2, "rerun"
        )
        unit = app.session.state.suites["unit"]
        assert unit.rerun_of == ("tests/test_unit.py::test_bad",)
        assert unit.done == 8  # the kept results plus the rerun one
        assert unit.command[unit.command.index("-n") + 1] == "0"  # one test: no xdist workers
        assert set(unit.workers) == {"main"}
        await pilot.press("j", "r")  # next card: solo
        await wait_until(
            pilot, lambda: settled(app) and app.session.state.suites["solo"].runs == 1, "solo"
        )
        await pilot.press("tab")
        table = app.query_one(TestsList)
        # the model is settled; the list redraws on the next tick
        await wait_until(pilot, lambda: table.row_count == 2, "the failures' rows")
        assert table.has_focus
        beta = ("solo", "tests/test_solo.py::test_beta")
        await press_until(pilot, "j", lambda: table.selected() == beta, "solo's test_beta")
        await pilot.press("enter")
        text = str(app.screen.query_one("#details-text").render())
        assert (
            "tests/test_solo.py::test_beta" in text
            and "beta speaks" in text
            and "AssertionError" in text
        )
        await pilot.press("t")  # rerun this test from the details screen
        await wait_until(
            pilot, lambda: settled(app) and app.session.state.suites["solo"].runs == 2, "test"
        )
        assert app.session.state.suites["solo"].rerun_of == ("tests/test_solo.py::test_beta",)


async def test_j_and_k_move_one_card_per_press(project: Path) -> None:
    app = make_app(project, run_at_start=False)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.focused, SuiteCard) and app.focused.config.name == "unit"
        await pilot.press("j", "j", "j")
        assert app.focused.config.name == "solo" and app.selected_suite == "solo"
        app.action_next_card()  # two presses handled before the focus messages arrive
        app.action_next_card()
        await pilot.pause()
        assert app.focused.config.name == "solo" and app.selected_suite == "solo"
        await pilot.press("k")
        assert app.focused.config.name == "unit" and app.selected_suite == "unit"
        assert app.query_one("#log").border_title == "output: unit"


async def test_filter_shows_matching_tests(project: Path) -> None:
    app = make_app(project, run_at_start=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: settled(app), "the run")
        await pilot.press("slash", *"test_ok", "enter")
        table = app.query_one(TestsList)
        nodeids = sorted(nodeid for _suite, nodeid in table.row_keys())
        assert nodeids == [f"tests/test_unit.py::test_ok[{i}]" for i in range(6)]
        await pilot.press("slash", "escape")
        assert table.row_count == 2 and table.filter == ""


SLOW = {
    "pyproject.toml": """
        [tool.zenboard]
        [[tool.zenboard.suites]]
        name = "slow"
        args = ["-p", "no:cacheprovider"]
        workers = 2
    """,
    "tests/test_slow.py": """
        import time
        import pytest

        @pytest.mark.parametrize("i", range(4))
        def test_sleeps(i):
            time.sleep(60)
    """,
}


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


async def test_cancel_and_quit_leave_no_process(tmp_path: Path) -> None:
    project = write_project(tmp_path / "slow", SLOW)
    app = make_app(project, run_at_start=True)
    async with app.run_test(size=SIZE) as pilot:
        suite = app.session.state.suites["slow"]
        await wait_until(
            pilot,
            lambda: sum(1 for w in suite.workers.values() if w.current) == 2,
            "a test running on each of the two workers",
        )
        run = app.session.engine.run("slow")
        assert run is not None and run.process is not None
        first = run.process.pid
        running = {w.current for w in suite.workers.values() if w.current}
        await pilot.press("c")
        await wait_until(pilot, lambda: settled(app), "the cancel")
        assert suite.status is SuiteStatus.CANCELLED
        assert not alive(first)
        assert set(suite.interrupted) == running and len(running) == 2
        assert len(suite.not_run) == 2 and not suite.tests
        card = "\n".join(line.plain for line in app.query_one(SuiteCard).lines())
        assert "2 interrupted: tests/test_slow.py::test_sleeps[" in card
        assert "2 not run" in card
        summary = json.loads((app.session.report_dir / "summary.json").read_text())
        assert sorted(summary["suites"][0]["interrupted"]) == sorted(running)
        await pilot.press("a")
        await wait_until(
            pilot, lambda: any(w.current for w in suite.workers.values()), "the second run"
        )
        second = app.session.engine.run("slow")
        assert second is not None and second.process is not None and second.process.pid != first
        pid = second.process.pid
        await pilot.press("q")
        await wait_until(pilot, lambda: not app.is_running, "quit")
    assert not alive(pid)
    assert app.session.engine.running() == []


CRASH = {
    "pyproject.toml": """
        [tool.zenboard]
        [[tool.zenboard.suites]]
        name = "crashy"
        args = ["-p", "no:cacheprovider"]
        workers = 2
    """,
    "tests/test_crash.py": """
        import os
        import pytest

        @pytest.mark.parametrize("i", range(4))
        def test_fine(i):
            pass

        def test_dies():
            os._exit(1)
    """,
}


async def test_crashed_worker_shows(tmp_path: Path) -> None:
    project = write_project(tmp_path / "crashy", CRASH)
    app = make_app(project, run_at_start=True)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_until(pilot, lambda: settled(app), "the crashing run")
        written = summary(project)["crashy"]
        crashed = [w for w, data in written["workers"].items() if data["crashed"]]
        assert len(crashed) == 1
        text = card_text(app, "crashy")
        row = next(line for line in text.splitlines() if line.strip().startswith(crashed[0]))
        assert "CRASHED" in row and "test_dies" in row
        replacement = written["workers"][crashed[0]]["replaced_by"]
        if replacement:
            assert any(
                line.strip().startswith(replacement) and f"replaces {crashed[0]}" in line
                for line in text.splitlines()
            )
        assert app.session.state.suites["crashy"].status is SuiteStatus.FAILED


COUNTED = {
    "pyproject.toml": """
        [tool.zenboard]
        [[tool.zenboard.suites]]
        name = "unit"
        args = ["tests", "-p", "no:cacheprovider"]
        workers = 0
    """,
    "tests/test_counted.py": """
        from pathlib import Path

        RUNS = Path(__file__).resolve().parent.parent / "runs.txt"

        def test_counted():
            run = int(RUNS.read_text()) + 1 if RUNS.exists() else 1
            RUNS.write_text(str(run))
            assert run % 2 == 1, f"run {run} fails (every even run does)"

        def test_steady():
            pass
    """,
}
COUNTED_KEY = ("unit", "tests/test_counted.py::test_counted")


def history_rows(project: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(project / ".zenboard/history.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def test_history_badge_trend_and_the_launch_recorded(tmp_path: Path) -> None:
    project = write_project(tmp_path / "counted", COUNTED)
    for expected in (0, 1, 0):  # the test passes, fails, passes: a mixed history
        done = run_cli(["run", "--ci"], cwd=project)
        assert done.returncode == expected, done.stdout + done.stderr
    app = make_app(project, run_at_start=True)  # the fourth run: the test fails again
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: settled(app), "the launch")
        await wait_until(
            pilot,
            lambda: app.history_view.flaky.get(COUNTED_KEY) == "PFPF",
            "the launch to be recorded and read back",
        )
        table = app.query_one(TestsList)
        # Settled means folded into the model; the list is painted on the app's own timer.
        await wait_until(pilot, lambda: table.row_keys() == [COUNTED_KEY], "the failure's row")
        assert table.flaky == {COUNTED_KEY}
        row = table.render_line(1).text  # below the column titles
        assert "⚑" in row and "test_counted" in row
        assert "1 flaky" in str(table.border_title)
        card = app.query_one("#suite-unit", SuiteCard)
        assert len(card.trend) == 4  # three `run`s and this launch, all complete
        assert sparkline(list(card.trend)) in card_text(app, "unit")
        await pilot.press("tab")
        assert table.has_focus
        await pilot.press("enter")
        text = str(app.screen.query_one("#details-text").render())
        assert "flaky: passed 2 of the last 4 runs" in text and "PFPF" in text
    runs = history_rows(project, "SELECT kind, exit_code FROM runs ORDER BY id")
    assert runs == [("run", 0), ("run", 1), ("run", 0), ("launch", 1)]
    launch_tests = history_rows(
        project,
        "SELECT t.nodeid, t.outcome FROM test_results t JOIN suite_runs s ON s.id = t.suite_run_id"
        " JOIN runs r ON r.id = s.run_id WHERE r.kind = 'launch' ORDER BY t.nodeid",
    )
    assert launch_tests == [
        ("tests/test_counted.py::test_counted", "failed"),
        ("tests/test_counted.py::test_steady", "passed"),
    ]


async def test_a_rerun_records_only_the_tests_it_ran(tmp_path: Path) -> None:
    project = write_project(tmp_path / "counted", COUNTED)
    (project / "runs.txt").write_text("1")  # the launch is run 2: the counted test fails
    app = make_app(project, run_at_start=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: settled(app), "the launch")
        await wait_until(pilot, lambda: app.history_view.runs == 1, "the launch recorded")
        await pilot.press("f")  # rerun the failed test: run 3 passes
        await wait_until(
            pilot, lambda: settled(app) and app.session.state.suites["unit"].runs == 2, "rerun"
        )
        await wait_until(pilot, lambda: app.history_view.runs == 2, "the rerun recorded")
        assert app.history_view.flaky == {COUNTED_KEY: "FP"}
        assert (
            list(app.query_one("#suite-unit", SuiteCard).trend) == app.history_view.trends["unit"]
        )
        assert len(app.history_view.trends["unit"]) == 1  # a partial rerun is no suite time
    rerun = history_rows(
        project,
        "SELECT s.partial, t.nodeid, t.outcome FROM test_results t"
        " JOIN suite_runs s ON s.id = t.suite_run_id WHERE s.run_id = 2",
    )
    assert rerun == [(1, "tests/test_counted.py::test_counted", "passed")]


async def test_history_that_cannot_be_written_is_shown_once(project: Path) -> None:
    (project / ".zenboard/history.db").mkdir(parents=True)  # a directory: sqlite cannot open it
    app = make_app(project, run_at_start=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: settled(app), "the launch")
        await wait_until(
            pilot,
            lambda: any("history not recorded" in m for m in app.said),
            "the history problem to be shown",
        )
        await pilot.press("a")
        await wait_until(
            pilot, lambda: settled(app) and app.session.state.suites["unit"].runs == 2, "rerun"
        )
        await pilot.pause(0.5)
        assert len([m for m in app.said if "history not recorded" in m]) == 1
        assert app.is_running and app.session.state.suites["unit"].status is SuiteStatus.FAILED


async def test_a_report_file_that_is_a_symlink_is_refused_and_shown(
    project: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "bashrc"
    outside.write_text("# mine\n")
    reports = project / ".zenboard/reports/latest"
    reports.mkdir(parents=True)
    (reports / "summary.json").symlink_to(outside)
    app = make_app(project, run_at_start=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: settled(app), "the launch")
        await wait_until(
            pilot,
            lambda: any("reports: could not be written" in m for m in app.said),
            "the write fault to be shown",
        )
        shown = [m for m in app.said if "reports:" in m]
        assert f"{reports / 'summary.json'}: is a symlink" in shown[0]
        assert app.is_running
    assert outside.read_text() == "# mine\n"


async def test_keys_act_on_the_suite_of_the_test_selected_by_focus_alone(tmp_path: Path) -> None:
    """tab to the failures list, then `f`: the selected failure's suite, not the first card's."""
    project = write_project(
        tmp_path / "two",
        {
            "pyproject.toml": """
                [tool.zenboard]
                [[tool.zenboard.suites]]
                name = "green"
                args = ["tests/test_green.py", "-p", "no:cacheprovider"]
                workers = 0

                [[tool.zenboard.suites]]
                name = "red"
                args = ["tests/test_red.py", "-p", "no:cacheprovider"]
                workers = 0
            """,
            "tests/test_green.py": "def test_ok():\n    pass\n",
            "tests/test_red.py": "def test_bad():\n    assert False\n",
        },
    )
    app = make_app(project, run_at_start=True)
    async with app.run_test(size=SIZE) as pilot:
        state = app.session.state
        await wait_until(pilot, lambda: settled(app) and state.suites["red"].runs == 1, "the run")
        await wait_until(pilot, lambda: app.history_view.runs == 1, "the run recorded")
        await pilot.pause(0.3)  # nothing changes the rows any more: focus alone must select
        assert app.selected_suite == "green"
        await pilot.press("tab")
        assert app.query_one(TestsList).has_focus
        await wait_until(pilot, lambda: app.selected_suite == "red", "the list's test to select")
        await pilot.press("f")
        await wait_until(pilot, lambda: settled(app) and state.suites["red"].runs == 2, "rerun")
        assert state.suites["green"].runs == 1
        assert state.suites["red"].rerun_of == ("tests/test_red.py::test_bad",)
