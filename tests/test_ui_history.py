"""Pure pieces of the dashboard's history link: which tests a launch ran, trend text, flaky text.

The real thing (runs recorded, badges and trends drawn from a real database) is covered by the
Pilot tests in `test_ui_pilot.py`; these pin down the rules those rely on.
"""

from __future__ import annotations

from zenboard.model import events as ev
from zenboard.model.reducer import apply
from zenboard.model.state import RunState, SuiteStatus
from zenboard.ui.launch_window import LaunchWindow
from zenboard.ui.render import sparkline, trend_text
from zenboard.ui.sources.history import flaky_summary


def finish(state: RunState, window: LaunchWindow, suite: str, nodeid: str, outcome: str) -> None:
    event = ev.TestFinished(suite, nodeid, "main", outcome, 0.1, {"nodeid": nodeid})
    apply(state, event)
    window.finished(suite, nodeid)


def launch(
    state: RunState, window: LaunchWindow, suite: str, at: float, nodeids: tuple[str, ...] = ()
) -> None:
    event = ev.SuiteLaunched(suite, ("pytest",), 1, at, nodeids)
    apply(state, event)
    window.launched(event)


def test_a_partial_rerun_keeps_only_the_tests_it_ran() -> None:
    state, window = RunState.for_suites(["unit", "api"]), LaunchWindow()
    launch(state, window, "unit", 10.0)
    finish(state, window, "unit", "t.py::a", "passed")
    finish(state, window, "unit", "t.py::b", "failed")
    apply(state, ev.SuiteExited("unit", 1, 12.0))
    first = window.close(state)
    assert first is not None and first.started == 10.0 and set(first.state.suites) == {"unit"}
    assert set(first.state.suites["unit"].tests) == {"t.py::a", "t.py::b"}
    assert first.partial == frozenset() and first.exit_code == 1

    launch(state, window, "unit", 20.0, ("t.py::b",))
    finish(state, window, "unit", "t.py::b", "passed")
    apply(state, ev.SuiteExited("unit", 0, 21.0))
    second = window.close(state)
    assert second is not None and second.partial == {"unit"}
    assert {n: t.outcome for n, t in second.state.suites["unit"].tests.items()} == {
        "t.py::b": "passed"
    }
    assert set(first.state.suites["unit"].tests) == {"t.py::a", "t.py::b"}  # a copy: unchanged
    assert first.state.suites["unit"].tests["t.py::b"].outcome == "failed"


def test_a_full_run_after_a_rerun_in_the_same_launch_is_complete() -> None:
    state, window = RunState.for_suites(["unit"]), LaunchWindow()
    launch(state, window, "unit", 1.0, ("t.py::b",))
    launch(state, window, "unit", 2.0)
    finish(state, window, "unit", "t.py::a", "passed")
    apply(state, ev.SuiteExited("unit", 0, 3.0))
    done = window.close(state)
    assert done is not None and done.partial == frozenset() and done.started == 1.0
    assert window.close(state) is None  # closed: nothing more to record
    assert state.suites["unit"].status is not SuiteStatus.IDLE


def test_trend_text_compares_the_last_run_with_the_median() -> None:
    assert trend_text([]).plain == ""
    assert trend_text([3.0]).plain == "▄ 3.0s"
    assert trend_text([10.0, 10.0, 10.0, 12.0]).plain == "▁▁▁█ 12.0s ▲ +20%"
    assert trend_text([10.0, 10.0, 10.0, 8.0]).plain == "███▁ 8.0s ▼ -20%"
    assert trend_text([10.0, 10.2, 10.1]).plain.endswith("= +0%")
    assert sparkline([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]) == "▁▂▃▄▅▆▇█"


def test_flaky_summary_counts_the_runs_that_ran_the_test() -> None:
    assert flaky_summary("PPFPP") == "passed 4 of the last 5 runs"
    assert flaky_summary("PFSP") == "passed 2 of the last 4 runs"


def test_a_single_run_is_not_runs() -> None:
    assert flaky_summary("F") == "passed 0 of the last 1 run"
