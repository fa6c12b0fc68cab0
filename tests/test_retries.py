"""Retries that tell the truth: a test that fails and then passes is flaky, everywhere.

Real pytest (with and without xdist) under pytest-rerunfailures, and real Playwright: the
flaky tests fail on a counted invocation (a counter file), so they cannot flake themselves.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import run_cli, suites_toml, write_project
from tests.playwright_env import one_spec_project
from tests.test_verify_compare import PASSING, counter_flaky
from zenboard.model import events as ev
from zenboard.model.reducer import apply
from zenboard.model.state import RunState
from zenboard.records.history import History
from zenboard.wire import final_attempt

FLAKY_ID = "tests/test_flaky.py::test_counter_flaky"
BROKEN_ID = "tests/test_broken.py::test_always_broken"


def retry_project(root: Path, workers: int) -> Path:
    return write_project(
        root,
        {
            "pyproject.toml": suites_toml(f'name = "unit"\nworkers = {workers}\nretries = 1'),
            "tests/test_fine.py": PASSING,
            "tests/test_flaky.py": counter_flaky((1,)),
            "tests/test_broken.py": "def test_always_broken():\n    assert 1 + 1 == 3\n",
        },
    )


def junit_cases(path: Path) -> dict[str, list[str]]:
    """test name -> the tags of its testcase's children, from a JUnit file."""
    root = ET.parse(path).getroot()
    return {case.attrib["name"]: [c.tag for c in case] for case in root.iter("testcase")}


@pytest.mark.slow
@pytest.mark.parametrize("workers", [2, 0], ids=["xdist", "no-xdist"])
def test_a_test_failing_once_then_passing_is_flaky_in_every_record(
    tmp_path: Path, workers: int
) -> None:
    project = retry_project(tmp_path / "proj", workers)
    done = run_cli(["run"], project / "tests")  # from a subfolder, as a user would
    assert done.returncode == 1, done.stdout + done.stderr  # the broken test fails the run
    assert f"FLAKY {FLAKY_ID}" in done.stdout and f"RETRY {FLAKY_ID}" in done.stdout

    report_dir = project / ".zenboard" / "reports" / "latest"
    suite = json.loads((report_dir / "summary.json").read_text())["suites"][0]
    rows = {row["nodeid"]: row for row in suite["tests"]}
    assert rows[FLAKY_ID] == {**rows[FLAKY_ID], "outcome": "passed", "flaky": True, "attempts": 2}
    assert rows[BROKEN_ID]["outcome"] == "failed" and rows[BROKEN_ID]["attempts"] == 2
    assert "flaky" not in rows[BROKEN_ID]
    assert {row["outcome"] for row in rows.values()} <= set(ev.OUTCOMES)  # never `rerun`
    counts = suite["counts"]
    assert counts["flaky"] == 1 and counts["passed"] == 5 and counts["failed"] == 1
    assert sum(counts[o] for o in ev.OUTCOMES) == len(rows) == 6
    assert suite["stream"]["corrected"] == 0 and suite["stream"]["duplicates"] == 0
    # pytest's own report keeps its word for it; zenboard's records never do.
    raw = {t["nodeid"]: t for t in json.loads((report_dir / "unit.json").read_text())["tests"]}
    assert raw[FLAKY_ID]["outcome"] == "rerun"

    cases = junit_cases(report_dir / "unit.xml")
    assert cases["test_counter_flaky"] == ["flakyFailure"]
    assert cases["test_always_broken"] == ["failure", "rerunFailure"]
    assert cases["test_fine[0]"] == []

    with History(project) as db:
        assert db.outcome_patterns()[("unit", FLAKY_ID)] == "R"
        assert ("unit", FLAKY_ID) in db.flaky_tests()
        assert ("unit", BROKEN_ID) not in db.flaky_tests()


@pytest.mark.slow
@pytest.mark.parametrize("workers", [2, 0], ids=["xdist", "no-xdist"])
def test_verify_is_never_stable_when_a_retry_was_needed(tmp_path: Path, workers: int) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml(f'name = "unit"\nworkers = {workers}\nretries = 1'),
            "tests/test_fine.py": PASSING,
            "tests/test_flaky.py": counter_flaky((1,)),
        },
    )
    done = run_cli(["verify", "--runs", "2", "--task", "t-1", "--json"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["verdict"] == "flaky"
    assert verdict["flaky"] == [{"suite": "unit", "nodeid": FLAKY_ID, "pattern": "RP"}]


@pytest.mark.slow
def test_the_retries_flag_overrides_the_configuration(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 0'),
            "tests/test_flaky.py": counter_flaky((1,)),
        },
    )
    done = run_cli(["run", "--retries", "2"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((project / ".zenboard/reports/latest/summary.json").read_text())
    assert summary["suites"][0]["tests"][0]["flaky"] is True


@pytest.mark.slow
@pytest.mark.parametrize(
    ("toml", "args", "said"),
    [
        ('name = "unit"\nretries = -1', ["run"], "tool.zenboard.suites[0] (unit).retries"),
        ('name = "unit"\nretries = "2"', ["run"], "tool.zenboard.suites[0] (unit).retries"),
        ('name = "unit"\nretries = 11', ["run"], "a whole number from 0 to 10"),
        ('name = "unit"', ["run", "--retries", "99"], "--retries"),
        ('name = "unit"', ["watch", "--retries", "x"], "--retries"),
        ('name = "unit"', ["launch", "--retries", "-3"], "--retries"),
    ],
)
def test_bad_retries_are_one_line_and_exit_2(
    tmp_path: Path, toml: str, args: list[str], said: str
) -> None:
    project = write_project(tmp_path / "proj", {"pyproject.toml": suites_toml(toml)})
    done = run_cli(args, project)
    assert done.returncode == 2, done.stdout + done.stderr
    assert said in done.stderr and "Traceback" not in done.stderr


def test_a_retry_is_its_own_event_and_never_a_result() -> None:
    state = RunState.for_suites(["s"])
    failed = {"nodeid": "t.py::a", "outcome": "failed", "call": {"outcome": "failed"}}
    for event in (
        ev.SuiteLaunched("s", ("pytest",), 1, 0.0),
        ev.TestRetried("s", "t.py::a", "gw0", 1, 0.1, failed),
        ev.TestRetried("s", "t.py::a", "gw0", 2, 0.1, failed),
    ):
        apply(state, event)
    suite = state.suites["s"]
    assert suite.done == 0 and sum(suite.counts.values()) == 0
    apply(state, ev.TestFinished("s", "t.py::a", "gw0", "passed", 0.1, {}))
    test = suite.tests["t.py::a"]
    assert test.flaky and test.attempts == 3 and len(test.failed_attempts) == 2
    assert suite.counts["passed"] == 1 and suite.flaky == 1
    apply(state, ev.TestRetried("s", "t.py::a", "gw0", 3, 0.1, failed))  # late: ignored
    assert suite.duplicates == 1 and suite.tests["t.py::a"].attempts == 3


def test_the_final_attempt_of_a_json_report_record() -> None:
    record = {
        "nodeid": "t.py::a",
        "outcome": "rerun",
        "setup": {"outcome": "failed"},
        "call": {"outcome": "rerun"},
    }
    final = final_attempt(record)
    assert (
        final["outcome"] == "passed" and "call" not in final and final["setup"] == record["setup"]
    )
    plain = {"nodeid": "t.py::b", "outcome": "failed", "call": {"outcome": "failed"}}
    assert final_attempt(plain) is plain


RETRY_SPEC = """
const { test, expect } = require('@playwright/test');
test('passes on its retry', async ({}, testInfo) => { expect(testInfo.retry).toBe(1); });
test('steady', async () => {});
"""


@pytest.mark.slow
def test_verify_catches_a_playwright_retry_flake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    project = one_spec_project(tmp_path / "proj", "retries = 1", "retry.spec.js", RETRY_SPEC)
    done = run_cli(["verify", "--runs", "1", "--task", "pw", "--json"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["verdict"] == "flaky"
    assert [(t["nodeid"], t["pattern"]) for t in verdict["flaky"]] == [
        ("retry.spec.js::passes on its retry", "R")
    ]
