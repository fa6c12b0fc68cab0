"""Per-test and per-suite timeouts on real pytest and xdist subprocesses (issue 18, "Time, live").

A sleeping test is stopped by its suite's `timeout`, recorded as pytest-json-report records a
failure of its phase, with every thread's stack in its longrepr, and the rest of the suite runs;
a suite over its `suite_timeout` is cancelled, its running test `interrupted`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_cli, run_in_process, suites_toml, write_project

pytestmark = pytest.mark.slow  # every test here starts pytest subprocesses

TESTS = """
import time

import pytest


def test_before():
    pass


def test_sleeps():
    time.sleep(60)


@pytest.fixture
def hangs():
    time.sleep(60)
    yield


def test_fixture_hangs(hangs):
    pass


def test_after():
    pass
"""


def _record(report: dict[str, Any], nodeid: str) -> dict[str, Any]:
    return next(t for t in report["tests"] if t["nodeid"] == nodeid)


def _longrepr(record: dict[str, Any]) -> str:
    return "\n".join(
        str(stage.get("longrepr", ""))
        for stage in (record.get(p) for p in ("setup", "call", "teardown", "???"))
        if isinstance(stage, dict)
    )


@pytest.mark.parametrize("workers", [2, 0], ids=["xdist", "no-xdist"])
def test_a_sleeping_test_is_stopped_by_its_timeout_with_its_stack(
    tmp_path: Path, workers: int
) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml(f'name = "unit"\nworkers = {workers}\ntimeout = 2'),
            "tests/test_hang.py": TESTS,
        },
    )
    result = run_in_process(project)
    assert result.code == 1
    report = result.json_report("unit")
    sleeps = _record(report, "tests/test_hang.py::test_sleeps")
    assert sleeps["outcome"] == "failed"
    text = _longrepr(sleeps)
    assert "timed out after 2s" in text
    assert "in test_sleeps" in text and "time.sleep(60)" in text  # the test's own frame
    assert text.count("--- thread ") >= 1  # every thread, named
    fixture = _record(report, "tests/test_hang.py::test_fixture_hangs")
    assert fixture["outcome"] == "error"
    assert "timed out after 2s (in setup" in _longrepr(fixture)
    assert "in hangs" in _longrepr(fixture)
    rows = {row["nodeid"]: row["outcome"] for row in result.summary()["suites"][0]["tests"]}
    took = {row["nodeid"]: row["duration"] for row in result.summary()["suites"][0]["tests"]}
    assert took["tests/test_hang.py::test_sleeps"] >= 2  # it ran its timeout, not 0 s
    assert rows == {
        "tests/test_hang.py::test_before": "passed",
        "tests/test_hang.py::test_sleeps": "failed",
        "tests/test_hang.py::test_fixture_hangs": "error",
        "tests/test_hang.py::test_after": "passed",
    }
    suite = result.state.suites["unit"]
    assert not suite.not_run and not suite.interrupted and not suite.unreported
    assert "timed out after 2s" in result.output
    if workers:  # the worker the timeout ended is named so, not as a crash
        assert "TIMED OUT tests/test_hang.py::test_sleeps: worker" in result.output
        assert "CRASHED worker" not in result.output
        ended = [w for w in suite.workers.values() if w.crashed]
        assert ended and all(w.timed_out == "timed out after 2s" for w in ended)


def test_a_test_that_ignores_the_signal_ends_pytest_and_the_rest_is_not_run(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 0\ntimeout = 1'),
            "tests/test_deaf.py": """
                import signal
                import time


                def test_deaf():
                    signal.signal(signal.SIGALRM, signal.SIG_IGN)
                    time.sleep(60)


                def test_later():
                    pass
                """,
        },
    )
    result = run_in_process(project)
    assert result.code == 1
    suite = result.state.suites["unit"]
    assert suite.tests["tests/test_deaf.py::test_deaf"].outcome == "error"
    assert suite.not_run == ["tests/test_deaf.py::test_later"]
    assert "timed out after 1s" in suite.error
    assert "tests/test_deaf.py::test_deaf" in suite.error


def test_a_suite_over_its_suite_timeout_is_cancelled_and_its_test_interrupted(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 0\nsuite_timeout = 3'),
            "tests/test_long.py": """
                import time


                def test_quick():
                    pass


                def test_long():
                    time.sleep(120)


                def test_never():
                    pass
                """,
        },
    )
    result = run_in_process(project)
    assert result.code == 1
    suite = result.state.suites["unit"]
    assert suite.status == "error"
    assert suite.error == "suite timed out after 3s"
    assert suite.interrupted == ["tests/test_long.py::test_long"]
    assert suite.not_run == ["tests/test_long.py::test_never"]
    assert suite.tests["tests/test_long.py::test_quick"].outcome == "passed"
    assert "ERROR suite timed out after 3s" in result.output
    assert "INTERRUPTED tests/test_long.py::test_long" in result.output


def test_timeout_flags_override_the_config_from_a_subfolder(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 0\ntimeout = 300'),
            "tests/test_hang.py": "import time\n\ndef test_sleeps():\n    time.sleep(60)\n",
            "sub/.keep": "",
        },
    )
    done = run_cli(["run", "--ci", "--timeout", "1", "--suite-timeout", "100"], project / "sub")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED tests/test_hang.py::test_sleeps (main): Failed: timed out after 1s" in (
        done.stdout
    )


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_a_bad_timeout_flag_is_one_line_and_exit_2(tmp_path: Path, value: str) -> None:
    project = write_project(tmp_path, {"tests/test_a.py": "def test_a():\n    pass\n"})
    done = run_cli(["run", f"--timeout={value}"], project)
    assert done.returncode == 2
    assert "--timeout" in done.stderr and "number of seconds" in done.stderr
    assert "Traceback" not in done.stderr


def test_slow_tests_get_one_slow_line_each(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 0\nslow = 1'),
            "tests/test_slow.py": """
                import time


                def test_slow():
                    time.sleep(3)


                def test_fast():
                    pass
                """,
        },
    )
    result = run_in_process(project)
    assert result.code == 0
    slow_lines = [line for line in result.output.splitlines() if " SLOW " in line]
    assert slow_lines == [
        "[unit] SLOW tests/test_slow.py::test_slow (main): still running after 1s "
        "(the suite's slow threshold)"
    ]


@pytest.mark.parametrize("workers", [2, 0], ids=["xdist", "no-xdist"])
def test_each_retry_gets_its_own_timeout(tmp_path: Path, workers: int) -> None:
    """A retry of a timed-out test is stopped by its own clock, not ended with the process."""
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml(
                f'name = "unit"\nworkers = {workers}\ntimeout = 1\nretries = 1'
            ),
            "tests/test_hang.py": """
                import time


                def test_sleeps():
                    time.sleep(60)


                def test_after():
                    pass
                """,
        },
    )
    result = run_in_process(project)
    assert result.code == 1
    suite = result.state.suites["unit"]
    hung = suite.tests["tests/test_hang.py::test_sleeps"]
    assert hung.outcome == "failed" and hung.attempts == 2
    assert "timed out after 1s" in hung.reason()
    assert suite.tests["tests/test_hang.py::test_after"].outcome == "passed"
    assert not suite.not_run and not suite.unreported and not suite.error


def test_a_playwright_test_over_its_timeout_fails_and_the_rest_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Playwright suite's `timeout` is Playwright's own per-test timeout (`--timeout`)."""
    from tests.playwright_env import one_spec_project

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    spec = """
        const { test } = require('@playwright/test');
        test('hangs', async () => { await new Promise((r) => setTimeout(r, 30000)); });
        test('steady', async () => {});
        """
    project = one_spec_project(tmp_path / "proj", "timeout = 1", "hang.spec.js", spec)
    done = run_cli(["run", "--ci"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    rows = {
        row["nodeid"]: row["outcome"]
        for row in json.loads((project / ".zenboard/reports/latest/summary.json").read_text())[
            "suites"
        ][0]["tests"]
    }
    assert rows == {"hang.spec.js::hangs": "failed", "hang.spec.js::steady": "passed"}
    assert "1000ms" in done.stdout  # Playwright's own words: Test timeout of 1000ms exceeded
