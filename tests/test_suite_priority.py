"""The dashboard runs suites below its own CPU priority: every process of the suite (the pytest
controller, its xdist workers, a warm server's forks) gets the lower priority, and cannot raise
it back even when run as root (each test tries); zenboard keeps its own. Real pytest and xdist processes report the nice value they ran with."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import run_cli, suites_toml, write_project
from zenboard.commands.launch import SUITE_NICENESS, niceness_arg
from zenboard.config import load_config
from zenboard.engine import warm
from zenboard.engine.buffer import EventBuffer
from zenboard.engine.engine import Engine
from zenboard.model import events as ev

pytestmark = pytest.mark.slow  # starts processes: not in the fast tier

STEP = 5

NICE_TESTS = """
import os
from pathlib import Path

def _record(name):
    try:  # raise itself back, as Chromium does when it can (run as root, it can)
        os.setpriority(os.PRIO_PROCESS, 0, 0)
    except PermissionError:
        pass
    nice = os.getpriority(os.PRIO_PROCESS, 0)
    Path({out!r}, f"{{name}}-{{os.getpid()}}").write_text(str(nice))

def test_one():
    _record("one")

def test_two():
    _record("two")

def test_three():
    _record("three")
"""


def _project(root: Path, workers: int) -> tuple[Path, Path]:
    out = root / "nice"
    out.mkdir()
    project = write_project(
        root / "project",
        {
            "pyproject.toml": suites_toml(f'name = "nice"\nworkers = {workers}'),
            "test_nice.py": NICE_TESTS.format(out=str(out)),
        },
    )
    return project, out


def _run(engine: Engine, buffer: EventBuffer, suite: str, nodeids: tuple[str, ...] = ()) -> str:
    """Run `suite` to its end; how it started ("warm", "" or a cold start's reason)."""
    engine.start(engine.config.suite(suite), nodeids)
    start = ""
    while True:
        buffer.wait(0.05)
        for event in buffer.drain():
            if isinstance(event, ev.SuiteLaunched):
                start = event.start
            if isinstance(event, ev.SuiteExited):
                assert event.returncode == 0, event.error
                return start


def _recorded(out: Path) -> dict[str, int]:
    """file name (test-pid) -> the nice value that test's process ran with."""
    return {f.name: int(f.read_text()) for f in out.iterdir()}


def test_every_xdist_worker_runs_below_zenboards_priority(tmp_path: Path) -> None:
    project, out = _project(tmp_path, workers=2)
    config = load_config(project)
    buffer = EventBuffer()
    engine = Engine(config, buffer, tmp_path / "reports", suite_niceness=STEP)
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        _run(engine, buffer, "nice")
    finally:
        engine.cancel_all()
    recorded = _recorded(out)
    assert len(recorded) == 3
    assert {pid.split("-")[1] for pid in recorded} - {str(os.getpid())}, "ran in zenboard"
    assert set(recorded.values()) == {min(ours + STEP, 19)}
    assert os.getpriority(os.PRIO_PROCESS, 0) == ours  # zenboard itself keeps its priority


def test_a_warm_rerun_runs_below_zenboards_priority_too(tmp_path: Path) -> None:
    project, out = _project(tmp_path, workers=0)
    config = load_config(project)
    buffer = EventBuffer()
    engine = Engine(config, buffer, tmp_path / "reports", suite_niceness=STEP)
    engine.enable_warm()
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        assert engine.warm is not None
        engine.prewarm([config.suite("nice")])
        assert warm.wait_ready(engine.warm, "nice")
        assert _run(engine, buffer, "nice", ("test_nice.py::test_two",)) == "warm"
    finally:
        engine.cancel_all()
        engine.close()
    assert set(_recorded(out).values()) == {min(ours + STEP, 19)}


def test_without_a_step_suites_run_at_zenboards_priority(tmp_path: Path) -> None:
    project, out = _project(tmp_path, workers=0)
    config = load_config(project)
    buffer = EventBuffer()
    engine = Engine(config, buffer, tmp_path / "reports")
    try:
        _run(engine, buffer, "nice")
    finally:
        engine.cancel_all()
    assert set(_recorded(out).values()) == {os.getpriority(os.PRIO_PROCESS, 0)}


def test_launch_lowers_suites_by_default_and_takes_0_to_19() -> None:
    assert SUITE_NICENESS > 0
    assert niceness_arg("0") == 0
    assert niceness_arg("19") == 19


@pytest.mark.parametrize("bad", ["20", "-1", "ten"])
def test_a_nice_value_out_of_range_is_one_line_and_exit_2(tmp_path: Path, bad: str) -> None:
    project = write_project(tmp_path, {"pyproject.toml": suites_toml('name = "one"')})
    result = run_cli(["launch", "--no-run", "--nice", bad], cwd=project, timeout=60)
    assert result.returncode == 2
    assert "--nice" in result.stderr and "0 to 19" in result.stderr
    assert "Traceback" not in result.stderr
