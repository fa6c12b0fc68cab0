"""Elapsed time and the SLOW mark, and the timeout keys' validation: the pure parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import suites_toml, write_project
from zenboard.config import Timeouts, load_config, with_timeouts
from zenboard.engine.channel import LineDecoder
from zenboard.engine.commands.pytest import timeout_options
from zenboard.errors import ConfigError
from zenboard.model import events as ev
from zenboard.model.reducer import apply
from zenboard.model.state import RunState
from zenboard.model.timing import slow_tests
from zenboard.ui.render import worker_row


def _running(start: float | None) -> RunState:
    state = RunState.for_suites(["unit"])
    apply(state, ev.SuiteLaunched("unit", ("pytest",), 1, 100.0))
    apply(state, ev.RunStarted("unit", 2))
    apply(state, ev.TestStarted("unit", "t.py::test_long", "gw0", time=start))
    apply(state, ev.TestStarted("unit", "t.py::test_short", "gw1", time=start))
    apply(state, ev.TestFinished("unit", "t.py::test_short", "gw1", "passed", 0.1))
    return state


def test_a_lane_shows_its_tests_elapsed_time_and_slow_past_the_threshold() -> None:
    suite = _running(1000.0).suites["unit"]
    lane = suite.workers["gw0"]
    assert "  12s SLOW  t.py::test_long" in worker_row(suite, lane, 200, 1012.5, 10.0).plain
    assert "  9s  t.py::test_long" in worker_row(suite, lane, 200, 1009.9, 10.0).plain
    assert "SLOW" not in worker_row(suite, lane, 200, 5000.0, 0.0).plain  # 0 turns it off
    assert " 1m05s SLOW" in worker_row(suite, lane, 200, 1065.0, 60.0).plain


def test_a_lane_without_a_start_time_shows_no_time() -> None:
    suite = _running(None).suites["unit"]
    row = worker_row(suite, suite.workers["gw0"], 200, 5000.0, 1.0).plain
    assert row.endswith("  t.py::test_long") and "SLOW" not in row


def test_only_running_tests_past_the_threshold_are_slow() -> None:
    suite = _running(1000.0).suites["unit"]
    assert [(s.worker, s.nodeid) for s in slow_tests(suite, 1060.0, 60.0)] == [
        ("gw0", "t.py::test_long")
    ]
    assert slow_tests(suite, 1059.9, 60.0) == []
    assert slow_tests(suite, 9999.0, 0.0) == []


def test_the_channel_stamps_arrival_on_started_and_finished_tests_only() -> None:
    lines = (
        ev.encode("test_started", nodeid="t.py::a", worker="gw0", time=1.0)  # wire time: ignored
        + ev.encode("worker_ready", worker="gw0")
        + ev.encode("test_finished", nodeid="t.py::a", worker="gw0", outcome="passed", duration=0.1)
    )
    started, ready, finished = LineDecoder("unit").feed(lines, 42.0)
    assert started == ev.TestStarted("unit", "t.py::a", "gw0", time=42.0)
    assert ready == ev.WorkerReady("unit", "gw0")
    assert isinstance(finished, ev.TestFinished) and finished.time == 42.0


def test_a_decoded_test_started_carries_no_time_from_the_wire() -> None:
    line = ev.encode("test_started", nodeid="t.py::a", worker="gw0", time=1.0)
    decoded = ev.decode("unit", line)
    assert isinstance(decoded, ev.TestStarted) and decoded.time is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("timeout", "0"),
        ("timeout", "-2"),
        ("timeout", '"10s"'),
        ("timeout", "true"),
        ("suite_timeout", "0"),
        ("suite_timeout", "nan"),
        ("slow", "-1"),
        ("slow", "inf"),
        ("timeout", "1e9"),
    ],
)
def test_bad_seconds_in_the_config_name_the_key(tmp_path: Path, key: str, value: str) -> None:
    write_project(tmp_path, {"pyproject.toml": suites_toml(f'name = "unit"\n{key} = {value}')})
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert f"suites[0] (unit).{key}" in str(caught.value)
    assert "number of seconds" in str(caught.value)


def test_seconds_keys_and_their_defaults(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml(
                'name = "a"\ntimeout = 2.5\nsuite_timeout = 600\nslow = 0', 'name = "b"'
            )
        },
    )
    a, b = load_config(tmp_path).suites
    assert (a.timeout, a.suite_timeout, a.slow) == (2.5, 600.0, 0.0)
    assert (b.timeout, b.suite_timeout, b.slow) == (None, None, 60.0)
    assert timeout_options(a) == ["-p", "zenboard.plugins.timeout", "--zenboard-timeout=2.5"]
    assert timeout_options(b) == []


def test_the_flags_override_every_suites_timeouts(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {"pyproject.toml": suites_toml('name = "a"\ntimeout = 2\nsuite_timeout = 9', 'name = "b"')},
    )
    config = load_config(tmp_path)
    assert with_timeouts(config, Timeouts()) is config
    a, b = with_timeouts(config, Timeouts(timeout=5.0)).suites
    assert (a.timeout, a.suite_timeout, b.timeout, b.suite_timeout) == (5.0, 9.0, 5.0, None)
