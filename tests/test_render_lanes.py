"""Lanes that get no test are not shown: a `0/0` lane says nothing."""

from __future__ import annotations

from zenboard.model.state import SuiteState, SuiteStatus, WorkerState
from zenboard.ui.render import lanes, worker_row


def suite(status: SuiteStatus, *workers: WorkerState) -> SuiteState:
    return SuiteState("unit", status=status, workers={w.id: w for w in workers})


def test_a_finished_run_hides_the_lanes_that_ran_nothing() -> None:
    busy = WorkerState("gw0", done=1)
    state = suite(SuiteStatus.PASSED, WorkerState("gw1"), busy, WorkerState("gw2"))
    assert [w.id for w in lanes(state)] == ["gw0"]


def test_while_running_a_lane_shows_until_its_queue_is_known_empty() -> None:
    waiting, empty = WorkerState("gw1"), WorkerState("gw2", _planned=0)
    state = suite(SuiteStatus.RUNNING, WorkerState("gw0", current="t.py::a"), waiting, empty)
    assert [w.id for w in lanes(state)] == ["gw0", "gw1"]


def test_a_crashed_or_replaced_lane_stays_visible() -> None:
    crashed = WorkerState("gw0", crashed=True)
    replaced = WorkerState("gw1", replaced_by="gw2")
    assert [w.id for w in lanes(suite(SuiteStatus.FAILED, crashed, replaced))] == ["gw0", "gw1"]


def test_a_lane_the_timeout_ended_says_timed_out_not_crashed() -> None:
    ended = WorkerState("gw0", crashed=True, crashed_test="t.py::hang", replaced_by="gw2")
    ended.timed_out = "timed out after 2s"
    crashed = WorkerState("gw1", crashed=True, crashed_test="t.py::boom")
    state = suite(SuiteStatus.FAILED, ended, crashed)
    assert "TIMED OUT -> gw2 in t.py::hang" in worker_row(state, ended, 120).plain
    row = worker_row(state, crashed, 120).plain
    assert "CRASHED in t.py::boom" in row and "TIMED OUT" not in row
