"""Quarantine: quarantined tests run and are reported; their failures fail nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from tests.helpers import run_cli, run_in_process, suites_toml, write_project
from zenboard.model.quarantine import is_quarantined, unmatched

pytestmark = pytest.mark.slow  # every test here starts pytest or zenboard processes

QUARANTINE = """
[tool.zenboard.quarantine]
"tests/test_q.py::test_flaky" = "flaky under load, see the tracker"
"tests/test_q.py::test_param" = "all its cases"
"tests/test_q.py::test_gone" = "renamed since"
"""

TESTS = """
import pytest

def test_ok():
    pass

def test_flaky():
    assert False, "quarantined failure"

@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    assert n == 1
"""


def _project(tmp_path: Path, extra_test: str = "") -> Path:
    return write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 2') + QUARANTINE,
            "tests/test_q.py": TESTS + extra_test,
        },
    )


def test_quarantined_failures_exit_0_and_are_still_reported(tmp_path: Path) -> None:
    result = run_in_process(_project(tmp_path))
    assert result.code == 0, result.output
    suite = result.summary()["suites"][0]
    rows = {row["nodeid"]: row for row in suite["tests"]}
    assert rows["tests/test_q.py::test_flaky"]["outcome"] == "failed"
    assert rows["tests/test_q.py::test_flaky"]["quarantined"] is True
    assert rows["tests/test_q.py::test_param[2]"]["quarantined"] is True
    assert "quarantined" not in rows["tests/test_q.py::test_ok"]
    assert suite["counts"]["failed"] == 2  # pytest's counts
    assert suite["counts"]["quarantined_failed"] == 2
    assert suite["status"] == "passed"
    assert result.summary()["exit_code"] == 0
    assert "FAILED (quarantined: does not fail the run) tests/test_q.py::test_flaky" in (
        result.output
    )
    assert "[unit] quarantined: 2 tests failed and did not fail the run" in result.output
    assert "quarantine: tests/test_q.py::test_gone matches no test collected" in result.output


def test_a_failure_outside_the_quarantine_still_fails_the_run(tmp_path: Path) -> None:
    project = _project(tmp_path, "\ndef test_real():\n    assert False\n")
    result = run_in_process(project)
    assert result.code == 1
    assert result.summary()["suites"][0]["counts"]["quarantined_failed"] == 2


def test_bad_quarantine_table_is_one_line_and_exit_2(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {"pyproject.toml": '[tool.zenboard.quarantine]\n"test_x" = "why"\n', "test_x.py": ""},
    )
    done = run_cli(["run"], cwd=project)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "tool.zenboard.quarantine.'test_x'" in done.stderr
    (project / "pyproject.toml").write_text('[tool.zenboard.quarantine]\n"test_x.py::test_a" = 3\n')
    done = run_cli(["run"], cwd=project)
    assert done.returncode == 2
    assert "a reason" in done.stderr and "Traceback" not in done.stderr


def test_an_id_without_parameters_covers_every_parametrization() -> None:
    ids = {"t.py::test_a", "t.py::test_b[1]"}
    assert is_quarantined("t.py::test_a[x-1]", ids)
    assert is_quarantined("t.py::test_b[1]", ids)
    assert not is_quarantined("t.py::test_b[2]", ids)
    assert not is_quarantined("t.py::test_ab", ids)
    assert unmatched(ids, ["t.py::test_a[3]"]) == ["t.py::test_b[1]"]


def test_merge_applies_the_quarantine_rule(tmp_path: Path) -> None:
    project = _project(tmp_path / "p")
    assert run_in_process(project).code == 0
    out = tmp_path / "merged"
    done = run_cli(
        ["merge", str(project / ".zenboard/reports/latest"), "--report-dir", str(out)], cwd=project
    )
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("[unit] quarantined: "))
    assert line.startswith("[unit] quarantined: 2 failed, not counted: ")
    assert "tests/test_q.py::test_flaky" in line and "tests/test_q.py::test_param[2]" in line
    merged = json.loads((out / "summary.json").read_text())
    assert merged["exit_code"] == 0
    assert merged["suites"][0]["counts"]["quarantined_failed"] == 2
    flaky = [t for t in merged["suites"][0]["tests"] if t["nodeid"].endswith("test_flaky")]
    assert flaky[0]["quarantined"] is True
    assert _junit_marks(out / "unit.xml")["test_flaky"] == (
        "failure",
        "flaky under load, see the tracker",
    )


def _junit_marks(path: Path) -> dict[str, tuple[str, str | None]]:
    """testcase name -> (its outcome element, its `quarantined` property's value)."""
    marks = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "")
        prop = case.find("properties/property[@name='quarantined']")
        marks[case.get("name", "")] = (outcome, None if prop is None else prop.get("value"))
    return marks


def test_junit_keeps_a_quarantined_failure_and_marks_it_with_its_reason(tmp_path: Path) -> None:
    project = _project(tmp_path, "\ndef test_real():\n    assert False\n")
    result = run_in_process(project)
    assert _junit_marks(result.report_dir / "unit.xml") == {
        "test_ok": ("", None),
        "test_flaky": ("failure", "flaky under load, see the tracker"),
        "test_param[1]": ("", None),  # quarantined, passed: nothing to mark
        "test_param[2]": ("failure", "all its cases"),
        "test_real": ("failure", None),
    }
    suite = ET.parse(result.report_dir / "unit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "3"  # pytest's count, as summary.json


def test_merge_refuses_a_quarantine_the_project_does_not_hold(tmp_path: Path) -> None:
    """A shard's report is another job's file: its `"quarantined": true` on a failure the
    project's table does not cover is refused, not taken as an excuse."""
    project = _project(tmp_path / "p", "\ndef test_real():\n    assert False\n")
    assert run_in_process(project).code == 1
    shard = tmp_path / "shard"
    shutil.copytree(project / ".zenboard/reports/latest", shard)
    data = json.loads((shard / "summary.json").read_text())
    suite = data["suites"][0]
    (j,) = [j for j, t in enumerate(suite["tests"]) if t["nodeid"].endswith("test_real")]
    real = suite["tests"][j]
    real["quarantined"] = True  # and every count that goes with it, consistently
    suite["counts"]["quarantined_failed"] += 1
    suite["status"], suite["exit_code"], data["exit_code"] = "passed", 1, 0
    (shard / "summary.json").write_text(json.dumps(data))
    done = run_cli(["merge", str(shard), "--report-dir", str(tmp_path / "out")], cwd=project)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().splitlines() == [
        f"zenboard: error: {shard}: suites[0] (unit).tests[{j}].quarantined: expected true only"
        " for a test of [tool.zenboard.quarantine], got True"
    ]
    assert not (tmp_path / "out" / "summary.json").exists()
