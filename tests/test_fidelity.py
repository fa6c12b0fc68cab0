"""zenboard's results equal pytest-json-report's record of the same run (real pytest, real xdist)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_in_process, suites_toml, write_project
from zenboard.model.events import OUTCOMES

pytestmark = pytest.mark.slow  # starts processes: not in the fast tier

MIXED_TESTS = """
import pytest

def test_passes():
    assert True

def test_fails():
    assert 1 + 1 == 3, "arithmetic is broken"

@pytest.fixture
def broken_setup():
    raise RuntimeError("setup exploded")

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown exploded")

def test_error_in_setup(broken_setup):
    pass

def test_error_in_teardown(broken_teardown):
    pass

def test_fails_and_teardown_errors(broken_teardown):
    assert False

@pytest.mark.skip(reason="not today")
def test_skipped():
    pass

def test_skipped_inside():
    pytest.skip("decided at run time")

@pytest.mark.xfail(reason="known bug")
def test_xfailed():
    assert False

@pytest.mark.xfail(reason="fixed already")
def test_xpassed():
    pass

@pytest.mark.xfail(strict=True)
def test_xpassed_strict():
    pass

@pytest.mark.parametrize("value", ["é", "[x]", "a::b", "日本", "sp ace", "]["])
def test_parametrized(value):
    assert value != "]["

class TestGroup:
    @pytest.mark.parametrize("n", range(5))
    def test_numbers(self, n):
        assert n < 4

    def test_prints(self):
        print("some captured output")
        assert False, "with output"
"""


def _mixed_project(root: Path, workers: int, dist: str | None = None) -> Path:
    dist_line = f'dist = "{dist}"' if dist else ""
    return write_project(
        root,
        {
            "pyproject.toml": suites_toml(f'name = "mixed"\nworkers = {workers}\n{dist_line}'),
            "test_mixed.py": MIXED_TESTS,
            "test_more.py": "import pytest\n\n@pytest.mark.parametrize('i', range(20))\ndef test_many(i):\n    assert i % 7 != 3\n",
        },
    )


def assert_same_as_json_report(result_dir: Path, suite: str) -> None:
    summary = json.loads((result_dir / "summary.json").read_text())
    report = json.loads((result_dir / f"{suite}.json").read_text())
    row = next(s for s in summary["suites"] if s["name"] == suite)
    expected_counts = {o: report["summary"].get(o, 0) for o in OUTCOMES}
    assert row["counts"] == {**expected_counts, "not_run": 0, "flaky": 0, "quarantined_failed": 0}
    ours = {t["nodeid"]: t["outcome"] for t in row["tests"]}
    theirs = {t["nodeid"]: t["outcome"] for t in report["tests"]}
    assert ours == theirs
    assert len(row["tests"]) == len(ours), "a test appears twice in summary.json"
    assert sum(w["done"] for w in row["workers"].values()) == len(ours)


@pytest.mark.parametrize(("workers", "dist"), [(2, None), (2, "loadscope"), (0, None)])
def test_counts_and_outcomes_equal_json_report(
    tmp_path: Path, workers: int, dist: str | None
) -> None:
    project = _mixed_project(tmp_path, workers, dist)
    result = run_in_process(project)
    assert result.code == 1
    assert_same_as_json_report(result.report_dir, "mixed")
    suite = result.state.suites["mixed"]
    expected_lanes = {"main"} if workers == 0 else {"gw0", "gw1"}
    assert set(suite.workers) == expected_lanes
    # Every outcome word occurs in this suite, so none can be silently mapped to another.
    assert all(suite.counts[o] > 0 for o in OUTCOMES)


def test_streamed_records_are_the_json_report_records(tmp_path: Path) -> None:
    project = _mixed_project(tmp_path, 2)
    result = run_in_process(project)
    report = result.json_report("mixed")
    suite = result.state.suites["mixed"]
    for record in report["tests"]:
        streamed = json.loads(json.dumps(suite.tests[record["nodeid"]].record, default=str))
        assert streamed == record


def test_failure_reason_and_worker_are_reported(tmp_path: Path) -> None:
    project = _mixed_project(tmp_path, 2)
    result = run_in_process(project)
    suite = result.state.suites["mixed"]
    failed = suite.tests["test_mixed.py::test_fails"]
    assert failed.outcome == "failed"
    assert "arithmetic is broken" in failed.reason()
    assert failed.worker in ("gw0", "gw1")
    report_worker_lines = [
        line for line in result.output.splitlines() if "FAILED test_mixed.py::test_fails " in line
    ]
    assert len(report_worker_lines) == 1
