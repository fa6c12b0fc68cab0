"""A test's record stays the JSON text it came in until something reads it: counted without
being decoded, read the same by every reader, and a damage inside it never a malformed line."""

from __future__ import annotations

from typing import Any

from zenboard.engine.channel import LineDecoder
from zenboard.model import events as ev
from zenboard.model.reducer import apply
from zenboard.model.state import RunState
from zenboard.wire import encode

PHASE = {"duration": 0.1, "outcome": "passed"}
WHOLE = {"nodeid": "t.py::a", "outcome": "passed", "setup": PHASE, "call": PHASE, "teardown": PHASE}


def _line(record: dict[str, Any], outcome: str = "passed", **more: Any) -> bytes:
    """A test_finished line as the plugin writes it: its record last."""
    return encode(
        "test_finished",
        nodeid="t.py::a",
        worker="gw0",
        outcome=outcome,
        duration=0.3,
        **more,
        record=record,
    )


def _fold(lines: bytes) -> tuple[RunState, LineDecoder]:
    decoder = LineDecoder("unit")
    state = RunState.for_suites(["unit"])
    for event in decoder.feed(lines, 1.0):
        apply(state, event)
    return state, decoder


def test_a_result_is_counted_with_its_record_still_text_and_decoded_on_first_read() -> None:
    state, _ = _fold(_line(WHOLE, lost=""))
    result = state.suites["unit"].tests["t.py::a"]
    assert state.suites["unit"].counts["passed"] == 1
    assert isinstance(result.record_data, bytes)
    assert result.record == WHOLE
    assert result.record is result.record  # decoded once, then kept


def test_a_line_in_another_layout_is_decoded_whole() -> None:
    no_spaces = b'{"v":1,"type":"test_finished","nodeid":"t.py::a","worker":"gw0",'
    no_spaces += b'"outcome":"passed","duration":0.3,"record":{"nodeid":"t.py::a"},"attempts":2}'
    event = ev.decode("unit", no_spaces)
    assert isinstance(event, ev.TestFinished)
    assert event.record_data == {"nodeid": "t.py::a"} and event.attempts == 2


def test_a_line_damaged_inside_its_record_counts_with_a_bare_record_and_is_not_malformed() -> None:
    damaged = _line({"nodeid": "t.py::a", "call": {"longrepr": "E   boom"}}, "failed", lost="")
    damaged = damaged.replace(b'"E   boom"', b'"E   boom')  # a quote lost inside the record
    state, decoder = _fold(damaged)
    suite = state.suites["unit"]
    assert decoder.malformed == 0
    assert suite.counts["failed"] == 1
    result = suite.tests["t.py::a"]
    assert result.record == {"nodeid": "t.py::a", "outcome": "failed"}
    assert result.reason() == "failed"


def test_a_line_damaged_before_its_record_is_malformed_and_skipped() -> None:
    damaged = _line(WHOLE, lost="").replace(b'"worker": "gw0"', b'"worker": gw0"')
    state, decoder = _fold(damaged)
    assert decoder.malformed == 1
    assert state.suites["unit"].done == 0


def test_the_lost_phase_the_sender_names_is_no_result_without_decoding_the_record() -> None:
    state, _ = _fold(_line(WHOLE, lost="call"))
    result = state.suites["unit"].tests["t.py::a"]
    assert result.outcome == "error" and result.unreported


def test_without_lost_the_record_is_read_for_it() -> None:
    no_call = {"nodeid": "t.py::a", "outcome": "passed", "setup": PHASE, "teardown": PHASE}
    state, _ = _fold(_line(no_call))
    assert state.suites["unit"].tests["t.py::a"].unreported
    state, _ = _fold(_line(WHOLE))
    assert state.suites["unit"].counts["passed"] == 1
