"""The table `run` prints at its end (pure logic: a RunState built by hand)."""

from __future__ import annotations

from zenboard.headless.lines import final_table
from zenboard.model.state import RunState, SuiteStatus, WorkerState


def test_a_lane_that_got_no_test_has_no_row() -> None:
    state = RunState.for_suites(["api"])
    suite = state.suites["api"]
    suite.runs, suite.status, suite.started_at, suite.finished_at = 1, SuiteStatus.PASSED, 0.0, 2.0
    suite.workers = {
        "gw0": WorkerState("gw0", done=3),
        "gw1": WorkerState("gw1"),
        "gw2": WorkerState("gw2", crashed=True),
    }
    rows = [line.split()[0] for line in final_table(state, now=5.0)[2:] if line.startswith(" ")]
    assert rows == ["gw0", "gw2"]  # gw1 ran nothing; a crashed lane stays, whatever it did


def test_a_suite_that_never_started_shows_the_time_it_waited() -> None:
    state = RunState.for_suites(["db"])
    suite = state.suites["db"]
    suite.runs, suite.status, suite.waited = 1, SuiteStatus.ERROR, 20.0
    (row,) = [line for line in final_table(state, now=100.0) if line.startswith("db ")]
    assert row.endswith("20.0s")


def test_a_replacement_that_crashed_too_says_both() -> None:
    state = RunState.for_suites(["svc"])
    suite = state.suites["svc"]
    suite.runs, suite.status, suite.started_at, suite.finished_at = 1, SuiteStatus.FAILED, 0.0, 2.0
    suite.workers = {
        "gw0": WorkerState("gw0", crashed=True, replaced_by="gw3"),
        "gw3": WorkerState("gw3", crashed=True, replaces="gw0", replaced_by="gw4"),
        "gw4": WorkerState("gw4", done=1, replaces="gw3"),
    }
    rows = {line.split()[0]: line for line in final_table(state, now=5.0) if line.startswith(" ")}
    assert rows["gw3"].split()[1] == "crashed" and rows["gw3"].endswith("  (for gw0)")
    assert len(rows["gw3"].split("  (for")[0]) == len(rows["gw4"].rstrip()), "columns aligned"
    assert rows["gw4"].split()[1:3] == ["(for", "gw3)"] and "crashed" not in rows["gw4"]
