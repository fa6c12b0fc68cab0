"""The reducer: pure logic, fed synthetic events (the only place fakes are used)."""

from __future__ import annotations

from zenboard.model import events as ev
from zenboard.model.reducer import apply
from zenboard.model.state import RunState, SuiteStatus


def _finished(nodeid: str, worker: str, outcome: str = "passed") -> ev.TestFinished:
    return ev.TestFinished(
        "s", nodeid, worker, outcome, 0.1, {"nodeid": nodeid, "outcome": outcome}
    )


def _run(*events: ev.Event) -> RunState:
    state = RunState.for_suites(["s"])
    for event in events:
        apply(state, event)
    return state


LAUNCH = ev.SuiteLaunched("s", ("pytest",), 1, 100.0)


def test_counts_per_suite_and_worker_and_no_double_counting() -> None:
    state = _run(
        LAUNCH,
        ev.RunStarted("s", 2),
        ev.WorkerCollected("s", "gw0", 3),
        ev.WorkerCollected("s", "gw1", 3),
        ev.TestStarted("s", "a", "gw0", pending=2),
        _finished("a", "gw0"),
        ev.TestStarted("s", "b", "gw1", pending=1),
        _finished("b", "gw1", "failed"),
        _finished("b", "gw1", "failed"),  # duplicate: ignored
        ev.TestStarted("s", "c", "gw0", pending=1),
        _finished("c", "gw0", "xfailed"),
        ev.RunFinished("s", 1, 1.0),
        ev.SuiteExited("s", 1, 101.0),
    )
    suite = state.suites["s"]
    assert (
        suite.counts["passed"] == 1 and suite.counts["failed"] == 1 and suite.counts["xfailed"] == 1
    )
    assert suite.duplicates == 1
    assert suite.workers["gw0"].done == 2 and suite.workers["gw0"].total == 2
    assert suite.workers["gw1"].failed == 1
    assert suite.status is SuiteStatus.FAILED
    assert state.exit_code() == 1


def test_late_started_event_does_not_resurrect_a_finished_test() -> None:
    state = _run(
        LAUNCH, ev.RunStarted("s", 2), _finished("a", "gw0"), ev.TestStarted("s", "a", "gw0")
    )
    assert state.suites["s"].workers["gw0"].current is None


def test_crash_marks_lane_and_replacement() -> None:
    state = _run(
        LAUNCH,
        ev.RunStarted("s", 2),
        ev.TestStarted("s", "x", "gw1"),
        ev.WorkerDown("s", "gw1", crashed=True, test="x", error="Not properly terminated"),
        _finished("x", "gw1", "failed"),
        ev.WorkerReplaced("s", "gw1", "gw2"),
        ev.RunFinished("s", 1, 1.0),
        ev.SuiteExited("s", 1, 101.0),
    )
    suite = state.suites["s"]
    assert suite.workers["gw1"].crashed and suite.workers["gw1"].crashed_test == "x"
    assert suite.workers["gw1"].replaced_by == "gw2" and suite.workers["gw2"].replaces == "gw1"
    assert suite.status is SuiteStatus.FAILED


def test_partial_rerun_keeps_other_results_and_replaces_rerun_ones() -> None:
    state = _run(
        LAUNCH,
        ev.RunStarted("s", 0),
        _finished("a", "main"),
        _finished("b", "main", "failed"),
        ev.RunFinished("s", 1, 1.0),
        ev.SuiteExited("s", 1, 101.0),
        ev.SuiteLaunched("s", ("pytest", "b"), 2, 200.0, nodeids=("b",)),
        ev.RunStarted("s", 0),
        ev.WorkerCollected("s", "main", 1),
        _finished("b", "main", "passed"),
        ev.RunFinished("s", 0, 1.0),
        ev.SuiteExited("s", 0, 201.0),
    )
    suite = state.suites["s"]
    assert suite.counts["passed"] == 2 and suite.counts["failed"] == 0
    assert suite.total == 2
    assert suite.status is SuiteStatus.PASSED
    assert suite.runs == 2


def test_statuses_from_exit() -> None:
    cancelled = _run(LAUNCH, ev.RunStarted("s", 0), ev.SuiteExited("s", -15, 101.0, cancelled=True))
    assert cancelled.suites["s"].status is SuiteStatus.CANCELLED
    died = _run(
        LAUNCH, ev.RunStarted("s", 0), _finished("a", "main"), ev.SuiteExited("s", -9, 101.0)
    )
    assert died.suites["s"].status is SuiteStatus.ERROR
    empty = _run(
        LAUNCH, ev.RunStarted("s", 0), ev.RunFinished("s", 5, 0.1), ev.SuiteExited("s", 5, 101.0)
    )
    assert empty.suites["s"].status is SuiteStatus.NO_TESTS
    assert empty.exit_code() == 5
    collect = _run(
        LAUNCH,
        ev.RunStarted("s", 0),
        ev.CollectFailed("s", "t.py", "ImportError"),
        ev.RunFinished("s", 2, 0.1),
        ev.SuiteExited("s", 2, 101.0),
    )
    assert collect.suites["s"].status is SuiteStatus.ERROR
    assert collect.exit_code() == 1


def test_failure_reason_prefers_crash_message() -> None:
    record = {
        "nodeid": "a",
        "outcome": "failed",
        "call": {
            "outcome": "failed",
            "crash": {"message": "AssertionError: boom\nmore"},
            "longrepr": "long",
        },
    }
    state = _run(LAUNCH, ev.TestFinished("s", "a", "gw0", "failed", 0.1, record))
    assert state.suites["s"].tests["a"].reason() == "AssertionError: boom"


def test_a_lane_restarted_in_place_counts_restarts_not_replacement() -> None:
    state = _run(
        LAUNCH,
        ev.RunStarted("s", 2),
        ev.WorkerReplaced("s", "pw0", "pw0"),
        ev.WorkerReplaced("s", "pw0", "pw0"),
    )
    lane = state.suites["s"].workers["pw0"]
    assert lane.restarts == 2
    assert lane.replaced_by is None
    assert lane.replaces is None


def test_quarantined_failures_are_counted_as_results_come_and_go() -> None:
    state = RunState.for_suites(["unit"])
    quarantine = ("t.py::test_q",)
    apply(state, ev.SuiteLaunched("unit", ("pytest",), 1, 0.0, quarantine=quarantine))
    apply(state, ev.TestFinished("unit", "t.py::test_q", "main", "failed", 0.1))
    apply(state, ev.TestFinished("unit", "t.py::test_other", "main", "failed", 0.1))
    assert state.suites["unit"].quarantined_failed == 1
    rerun = ev.SuiteLaunched("unit", ("pytest",), 2, 1.0, ("t.py::test_q",), quarantine=quarantine)
    apply(state, rerun)
    assert state.suites["unit"].quarantined_failed == 0  # its old failure left with it
    apply(state, ev.TestFinished("unit", "t.py::test_q", "main", "passed", 0.1))
    assert state.suites["unit"].quarantined_failed == 0
    apply(state, ev.SuiteLaunched("unit", ("pytest",), 3, 2.0, quarantine=quarantine))
    apply(state, ev.TestFinished("unit", "t.py::test_q", "main", "error", 0.1))
    assert state.suites["unit"].quarantined_failed == 1
