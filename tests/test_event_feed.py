"""The `--events` feed's own logic: what it writes for the truth check's verdicts, duplicates
and lost reports, and a feed that cannot be written. Real runs' feeds: test_ci_outputs.py."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.helpers import write_project
from zenboard.config import load_config
from zenboard.engine.channel import LineDecoder
from zenboard.model import events as ev
from zenboard.model.reducer import apply
from zenboard.model.state import RunState
from zenboard.records.event_feed import EventFeed
from zenboard.ui.session import Session
from zenboard.wire import encode

PASSED = {s: {"outcome": "passed"} for s in ("setup", "call", "teardown")}


def _feed(path: Path, events: list[ev.Event]) -> list[dict[str, Any]]:
    state = RunState.for_suites(["unit"])
    feed = EventFeed(path, run_id="r1")
    feed.started(["unit"])
    for event in events:
        apply(state, event)
        feed.add(event, state)
    feed.finished(state, state.exit_code())
    return [json.loads(line) for line in path.read_text().splitlines()]


def _last_outcomes(lines: list[dict[str, Any]]) -> dict[str, str]:
    return {e["nodeid"]: e["outcome"] for e in lines if e["type"] == "test_finished"}


def test_corrections_and_unreported_tests_come_before_the_suites_run_finished(
    tmp_path: Path,
) -> None:
    forged = ev.TestFinished("unit", "t.py::a", "gw0", "passed", 0.1, PASSED)
    truth = ev.TestFinished(
        "unit", "t.py::a", "gw0", "failed", 0.1, {"call": {"outcome": "failed"}}
    )
    lines = _feed(
        tmp_path / "feed.jsonl",
        [
            ev.SuiteLaunched("unit", ("pytest",), 7, 1.0),
            ev.RunStarted("unit", 2, "/p"),
            ev.TestStarted("unit", "t.py::b", "gw1"),
            forged,
            ev.RunFinished("unit", 1, 2.0),
            ev.ResultsCorrected("unit", (truth,)),
            ev.SuiteExited("unit", 1, 3.0),
        ],
    )
    kinds = [(e["type"], e.get("suite")) for e in lines]
    assert kinds[0] == ("run_started", None) and kinds[-1] == ("run_finished", None)
    assert kinds[-2] == ("run_finished", "unit")  # after the corrections, not where pytest said
    assert {e["run"] for e in lines} == {"r1"} and all(e["v"] == 1 for e in lines)
    corrected = [e for e in lines if e.get("corrected")]
    assert [(e["nodeid"], e["outcome"]) for e in corrected] == [("t.py::a", "failed")]
    unreported = [e for e in lines if e.get("unreported")]
    assert [(e["nodeid"], e["outcome"]) for e in unreported] == [("t.py::b", "error")]
    assert _last_outcomes(lines) == {"t.py::a": "failed", "t.py::b": "error"}
    assert lines[-1]["counts"]["unit"]["error"] == 1 and lines[-1]["exit_code"] == 1


def test_a_duplicate_result_is_not_written_and_a_lost_report_is_an_error(tmp_path: Path) -> None:
    lost = {"setup": {"outcome": "passed"}, "teardown": {"outcome": "passed"}}  # no call: lost
    lines = _feed(
        tmp_path / "feed.jsonl",
        [
            ev.SuiteLaunched("unit", ("pytest",), 7, 1.0),
            ev.TestFinished("unit", "t.py::a", "gw0", "passed", 0.1, PASSED),
            ev.TestFinished("unit", "t.py::a", "gw0", "failed", 0.1, {}),  # a forged repeat
            ev.TestFinished("unit", "t.py::c", "gw0", "passed", 0.1, lost),
            ev.SuiteExited("unit", 1, 3.0),
        ],
    )
    assert [e["outcome"] for e in lines if e.get("nodeid") == "t.py::a"] == ["passed"]
    assert _last_outcomes(lines) == {"t.py::a": "passed", "t.py::c": "error"}


def test_a_feed_that_cannot_be_opened_is_a_fault_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "target").write_text("")
    os.symlink(tmp_path / "target", tmp_path / "feed.jsonl")
    feed = EventFeed(tmp_path / "feed.jsonl")
    feed.started(["unit"])
    assert feed.fault is not None
    state = RunState.for_suites(["unit"])
    event = ev.SuiteLaunched("unit", ("pytest",), 7, 1.0)
    apply(state, event)
    feed.add(event, state)
    feed.finished(state, 0)
    assert (tmp_path / "target").read_text() == ""


def test_the_dashboard_feeds_its_session_and_ends_it_when_it_quits(tmp_path: Path) -> None:
    project = write_project(tmp_path / "proj", {})
    path = tmp_path / "feed.jsonl"
    session = Session(load_config(project), events=path)
    session.open_feed()
    session.fold(
        [
            ev.SuiteLaunched("tests", ("pytest",), 7, 1.0),
            ev.TestFinished("tests", "t.py::a", "main", "passed", 0.1, PASSED),
            ev.RunFinished("tests", 0, 1.0),
            ev.SuiteExited("tests", 0, 2.0),
        ]
    )
    session.shutdown()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["type"] for e in lines] == [
        "run_started",
        "test_finished",
        "run_finished",
        "run_finished",
    ]
    assert lines[-1]["exit_code"] == 0 and "suite" not in lines[-1]


def test_a_result_that_arrived_as_stream_text_is_written_with_its_record(tmp_path: Path) -> None:
    """The decoder keeps a record as the text it came in; the feed writes the record itself."""
    record = {"nodeid": "t.py::a", "outcome": "passed", **PASSED}
    line = encode(
        "test_finished",
        nodeid="t.py::a",
        worker="gw0",
        outcome="passed",
        duration=0.3,
        lost="",
        record=record,
    )
    (finished,) = LineDecoder("unit").feed(line, 1.0)
    assert isinstance(finished, ev.TestFinished) and isinstance(finished.record_data, bytes)
    lines = _feed(tmp_path / "feed.jsonl", [ev.RunStarted("unit", 0, "/p"), finished])
    (written,) = [e for e in lines if e["type"] == "test_finished"]
    assert written["record"] == record and "record_data" not in written
