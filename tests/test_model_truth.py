"""Every test gets exactly one fate in the model: pure reducer logic on synthetic events."""

from __future__ import annotations

from typing import Any

from zenboard.model import events as ev
from zenboard.model.reducer import apply
from zenboard.model.state import RunState, SuiteStatus, lost_phase
from zenboard.records.reports import suite_summary
from zenboard.wire import TEXT_BOUND, bounded_record, encode, essential_record

LAUNCH = ev.SuiteLaunched("s", ("pytest",), 1, 100.0)
PHASE = {"duration": 0.01, "outcome": "passed"}


def _record(nodeid: str, outcome: str = "passed", **phases: Any) -> dict[str, Any]:
    return {"nodeid": nodeid, "outcome": outcome, **phases}


def _whole(nodeid: str, outcome: str = "passed") -> dict[str, Any]:
    call = {**PHASE, "outcome": outcome}
    return _record(nodeid, outcome, setup=PHASE, call=call, teardown=PHASE)


def _finished(nodeid: str, worker: str, outcome: str = "passed") -> ev.TestFinished:
    return ev.TestFinished("s", nodeid, worker, outcome, 0.1, _whole(nodeid, outcome))


def _run(*events: ev.Event) -> RunState:
    state = RunState.for_suites(["s"])
    for event in events:
        apply(state, event)
    return state


def test_a_started_test_without_a_result_is_an_unreported_error() -> None:
    state = _run(
        LAUNCH,
        ev.RunStarted("s", 2),
        ev.TestsCollected("s", ("a", "b", "c")),
        ev.TestStarted("s", "a", "gw0"),
        ev.TestStarted("s", "b", "gw1"),
        _finished("a", "gw0"),
        ev.TestStarted("s", "c", "gw1"),  # b's report was lost; gw1 went on
        _finished("c", "gw1"),
        ev.RunFinished("s", 0, 1.0),
        ev.SuiteExited("s", 0, 101.0),
    )
    suite = state.suites["s"]
    b = suite.tests["b"]
    assert (b.outcome, b.worker, b.unreported) == ("error", "gw1", True)
    assert b.reason().startswith("no result: the test started on gw1")
    assert suite.unreported == 1
    assert suite.counts["error"] == 1 and suite.counts["passed"] == 2
    assert suite.workers["gw1"].counts["error"] == 1
    assert suite.not_run == [] and suite.interrupted == []
    assert suite.status is SuiteStatus.FAILED
    assert state.exit_code() == 1


def test_a_record_missing_its_call_is_no_pass() -> None:
    """xdist lost the call's report: pytest-json-report says passed from the setup alone."""
    lost = _record("a", "passed", setup=PHASE, teardown=PHASE)
    assert lost_phase(lost) == "call"
    assert lost_phase(_record("a", setup=PHASE, call=PHASE)) == "teardown"
    assert lost_phase(_whole("a")) == ""
    skipped_in_setup = _record(
        "a", "skipped", setup={**PHASE, "outcome": "skipped"}, teardown=PHASE
    )
    assert lost_phase(skipped_in_setup) == ""
    assert lost_phase({"nodeid": "e2e", "outcome": "passed"}) == ""  # another shape: as it is
    state = _run(
        LAUNCH,
        ev.RunStarted("s", 2),
        ev.TestStarted("s", "a", "gw0"),
        ev.TestFinished("s", "a", "gw0", "passed", 0.1, lost),
        ev.RunFinished("s", 0, 1.0),
        ev.SuiteExited("s", 0, 101.0),
    )
    assert state.suites["s"].tests["a"].outcome == "error"
    assert state.suites["s"].tests["a"].unreported
    assert state.exit_code() == 1


def test_a_crash_without_xdist_names_its_test_and_the_signal() -> None:
    state = _run(
        LAUNCH,
        ev.RunStarted("s", 0),
        ev.TestsCollected("s", ("a", "b", "c", "d")),
        ev.TestStarted("s", "a", "main"),
        _finished("a", "main"),
        ev.TestStarted("s", "b", "main"),
        ev.SuiteExited("s", -11, 101.0, error="pytest died"),
    )
    suite = state.suites["s"]
    assert "SIGSEGV" in suite.tests["b"].reason()
    assert suite.not_run == ["c", "d"]
    assert suite.status is SuiteStatus.ERROR
    assert state.exit_code() == 1


def test_a_cancel_lists_running_tests_as_interrupted_and_the_rest_not_run() -> None:
    state = _run(
        LAUNCH,
        ev.RunStarted("s", 2),
        ev.TestsCollected("s", ("a", "b", "c", "d", "e")),
        ev.TestStarted("s", "a", "gw0"),
        _finished("a", "gw0"),
        ev.TestStarted("s", "b", "gw0"),
        ev.TestStarted("s", "c", "gw1"),
        ev.SuiteExited("s", -15, 101.0, cancelled=True),
    )
    suite = state.suites["s"]
    assert sorted(suite.interrupted) == ["b", "c"]
    assert suite.not_run == ["d", "e"]
    assert list(suite.tests) == ["a"]
    assert suite.status is SuiteStatus.CANCELLED
    assert state.exit_code() == 1


def test_an_early_end_leaves_no_test_counted_as_passed() -> None:
    """-x: pytest finished normally but never started the rest."""
    state = _run(
        LAUNCH,
        ev.RunStarted("s", 0),
        ev.TestsCollected("s", ("a", "b")),
        ev.TestStarted("s", "a", "main"),
        _finished("a", "main"),
        ev.RunFinished("s", 0, 1.0),
        ev.SuiteExited("s", 0, 101.0),
    )
    suite = state.suites["s"]
    assert suite.not_run == ["b"]
    assert suite.status is SuiteStatus.FAILED
    assert state.exit_code() == 1


def test_corrections_replace_results_and_keep_every_count_right() -> None:
    forged = ev.TestFinished("s", "b", "main", "passed", 0.0, {})
    state = _run(
        LAUNCH,
        ev.RunStarted("s", 0),
        ev.TestsCollected("s", ("a", "b")),
        ev.TestStarted("s", "a", "main"),
        forged,
        _finished("a", "main"),
        ev.TestStarted("s", "b", "main"),
        _finished("b", "main", "failed"),  # the real result: a duplicate in the stream
        ev.RunFinished("s", 1, 1.0),
        ev.ResultsCorrected("s", (_finished("b", "main", "failed"),)),
        ev.SuiteExited("s", 1, 101.0),
    )
    suite = state.suites["s"]
    assert suite.tests["b"].outcome == "failed"
    assert suite.counts["passed"] == 1 and suite.counts["failed"] == 1
    assert suite.workers["main"].counts == {**suite.counts}
    assert suite.workers["main"].done == 2
    assert suite.corrected == 1 and suite.duplicates == 1
    assert suite.status is SuiteStatus.FAILED


def test_a_correction_may_add_a_result_the_stream_never_carried() -> None:
    state = _run(
        LAUNCH,
        ev.RunStarted("s", 2),
        ev.TestsCollected("s", ("a",)),
        ev.TestStarted("s", "a", "gw0"),
        ev.RunFinished("s", 0, 1.0),
        ev.ResultsCorrected("s", (_finished("a", "gw0"),)),
        ev.SuiteExited("s", 0, 101.0),
    )
    suite = state.suites["s"]
    assert suite.tests["a"].outcome == "passed" and not suite.tests["a"].unreported
    assert suite.status is SuiteStatus.PASSED
    assert state.exit_code() == 0


def test_a_corrected_result_keeps_the_start_the_stream_saw() -> None:
    state = _run(
        LAUNCH,
        ev.RunStarted("s", 2),
        ev.TestsCollected("s", ("lost", "wrong", "forged", "unseen")),
        ev.TestStarted("s", "lost", "gw0", time=100.5),  # its result never arrived
        ev.TestStarted("s", "wrong", "gw1", time=100.25),
        ev.TestFinished("s", "wrong", "gw1", "passed", 0.1, {}, time=100.4),
        ev.TestStarted("s", "forged", "gw1", time=100.75),
        ev.TestFinished("s", "forged", "gw1", "passed", 0.1, {}, time=100.8),
        ev.RunFinished("s", 1, 1.0),
        ev.ResultsCorrected(
            "s",
            (
                _finished("lost", "gw0"),
                _finished("wrong", "gw1", "failed"),
                _finished("unseen", "gw0"),
            ),
            unreported=(("forged", "gw1", "no whole record in the report file"),),
        ),
        ev.SuiteExited("s", 1, 101.0),
    )
    suite = state.suites["s"]
    rows = {row["nodeid"]: row for row in suite_summary(suite)["tests"]}
    assert rows["lost"]["outcome"] == "passed" and rows["lost"]["start"] == 100.5
    assert rows["wrong"]["outcome"] == "failed" and rows["wrong"]["start"] == 100.25
    assert rows["forged"]["unreported"] and rows["forged"]["start"] == 100.75
    assert "start" not in rows["unseen"]  # the stream never saw it start: no start is made up
    assert suite.started_times == {}


def test_a_new_run_forgets_the_last_runs_fates() -> None:
    state = _run(
        LAUNCH,
        ev.RunStarted("s", 0),
        ev.TestsCollected("s", ("a", "b")),
        ev.TestStarted("s", "a", "main"),
        ev.SuiteExited("s", -15, 101.0, cancelled=True),
        LAUNCH,
    )
    suite = state.suites["s"]
    assert (suite.interrupted, suite.not_run, suite.started, suite.collected_ids) == (
        [],
        [],
        {},
        {},
    )


def test_every_text_of_a_record_is_cut_at_any_depth() -> None:
    huge = "m" * (TEXT_BOUND * 3)
    record = {
        "nodeid": "t",
        "outcome": "failed",
        "call": {"outcome": "failed", "crash": {"message": huge}, "longrepr": huge},
        "metadata": {"list": [huge, 1, None]},
    }
    cut = bounded_record(record)
    assert len(cut["call"]["crash"]["message"]) < TEXT_BOUND + 100
    assert len(cut["call"]["longrepr"]) < TEXT_BOUND + 100
    assert len(cut["metadata"]["list"][0]) < TEXT_BOUND + 100
    assert cut["metadata"]["list"][1:] == [1, None]
    assert len(record["call"]["crash"]["message"]) == TEXT_BOUND * 3  # the original is whole
    small = {"nodeid": "t", "outcome": "passed", "call": {"outcome": "passed"}}
    assert bounded_record(small) is small


def test_the_essential_record_is_small_whatever_the_record_holds() -> None:
    record = {
        "nodeid": "t",
        "outcome": "failed",
        "keywords": [f"k{i}" for i in range(100_000)],
        "call": {"outcome": "failed", "duration": 0.5, "crash": {"message": "x" * 10**6}},
    }
    essential = essential_record(record)
    line = encode(
        "test_finished", nodeid="t", worker="gw0", outcome="failed", duration=0.5, record=essential
    )
    assert len(line) < 3 * TEXT_BOUND
    decoded = ev.decode("s", line)
    assert isinstance(decoded, ev.TestFinished)
    assert decoded.record["call"]["outcome"] == "failed"
    assert decoded.record["call"]["duration"] == 0.5
