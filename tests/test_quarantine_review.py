"""`zenboard history --flaky`: quarantine candidates as TOML lines, quarantined tests that may leave.

The history is pure storage, so most tests fill it through its own record API with rows as
runs write them; one fills it with a real stress run.
"""

from __future__ import annotations

import json
import time
import tomllib
from pathlib import Path

import pytest

from tests.helpers import run_cli, suites_toml, write_project
from zenboard.config import load_config
from zenboard.records.history import History, RunRecord, SuiteRecord, TestRecord

pytestmark = pytest.mark.slow  # every test here starts pytest or zenboard processes

DAY = 1_780_000_000.0  # a fixed moment: the "since" date is computed from it


def _record(project: Path, runs: list[dict[str, str]], suite: str = "unit") -> None:
    """One recorded run per dict of nodeid -> outcome, a minute apart, oldest first."""
    with History(project) as db:
        for i, outcomes in enumerate(runs):
            tests = tuple(TestRecord(n, o, 0.01, "gw0") for n, o in outcomes.items())
            started = DAY + 60 * i
            suites = (SuiteRecord(suite, "failed", 1.0, 2, False, tests),)
            db.record(RunRecord(started, started + 1, "run", 1, None, None, None, suites))


def _project(tmp_path: Path, quarantine: str = "") -> Path:
    table = f"\n[tool.zenboard.quarantine]\n{quarantine}" if quarantine else ""
    return write_project(tmp_path, {"pyproject.toml": suites_toml('name = "unit"') + table})


ODD = 't.py::test_odd[a"b\\c]'
"""A parametrized id with a quote and a backslash: the TOML key must escape both."""


def test_candidates_are_toml_lines_that_paste_into_the_quarantine(tmp_path: Path) -> None:
    project = _project(tmp_path, '"t.py::test_known" = "already quarantined"\n')
    p, f = "passed", "failed"
    _record(
        project,
        [
            {"t.py::test_flaky": p, ODD: p, "t.py::test_known": p, "t.py::test_steady": p},
            {"t.py::test_flaky": f, ODD: f, "t.py::test_known": f, "t.py::test_steady": p},
            {"t.py::test_flaky": p, ODD: p, "t.py::test_\x1b[31m": p, "t.py::test_steady": p},
            {"t.py::test_flaky": f, ODD: p, "t.py::test_\x1b[31m": f, "t.py::test_steady": p},
        ],
    )
    _record(project, [{"t.py::test_flaky": p}], suite="other")  # same id, another suite
    done = run_cli(["history", "--flaky"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        f"quarantine candidates (paste under [tool.zenboard.quarantine] in {project}/pyproject.toml)"
    )
    pasted = [line for line in lines if line.startswith('"')]
    since = time.strftime("%Y-%m-%d", time.localtime(DAY))
    assert tomllib.loads("\n".join(pasted)) == {
        "t.py::test_flaky": f"flaky: failed 2 of 5 runs since {since}",
        ODD: f"flaky: failed 1 of 4 runs since {since}",
    }
    with (project / "pyproject.toml").open("a") as toml:
        toml.write("\n".join(pasted) + "\n")
    assert set(load_config(project).quarantine) == {"t.py::test_known", "t.py::test_flaky", ODD}
    assert run_cli(["history", "--flaky"], project).stdout.splitlines()[1].startswith("# none")


def test_quarantined_tests_that_passed_ten_runs_in_a_row_are_ready_to_leave(
    tmp_path: Path,
) -> None:
    project = _project(
        tmp_path,
        '"t.py::test_fixed" = "was flaky"\n'
        '"t.py::test_param" = "its cases time out"\n'
        '"t.py::test_nine" = "not proven yet"\n'
        '"t.py::test_gone" = "renamed since"\n',
    )
    p, f = "passed", "failed"
    runs = [{"t.py::test_fixed": f, "t.py::test_param[1]": p, "t.py::test_param[2]": p}]
    runs += [{"t.py::test_fixed": p, "t.py::test_param[1]": p, "t.py::test_nine": p}] * 9
    runs += [{"t.py::test_fixed": p, "t.py::test_param[2]": f}]
    runs += [{"t.py::test_param[1]": p, "t.py::test_param[2]": "skipped"}]  # a skip proves nothing
    _record(project, runs)
    done = run_cli(["history", "--flaky"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    at = lines.index("quarantined tests (ready to leave after 10 passes in a row)")
    assert lines[at + 1 :] == [
        "  ready to leave    t.py::test_fixed: passed its last 10 runs in a row (was flaky)",
        "  no runs recorded  t.py::test_gone: renamed, deleted, or not run since it was"
        " quarantined? (renamed since)",
        "  keep              t.py::test_nine: 9 of the 10 passes in a row it needs"
        " (not proven yet)",
        "  keep              t.py::test_param: 0 of the 10 passes in a row it needs"
        " (its cases time out)",
    ]
    data = json.loads(run_cli(["history", "--flaky", "--json"], project).stdout)
    assert [(s["nodeid"], s["status"]) for s in data["quarantined"]][:2] == [
        ("t.py::test_fixed", "ready to leave"),
        ("t.py::test_gone", "no runs recorded"),
    ]


def test_without_a_history_every_quarantined_test_has_no_runs_recorded(tmp_path: Path) -> None:
    project = _project(tmp_path, '"t.py::test_a" = "flaky"\n')
    done = run_cli(["history", "--flaky"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("  no runs recorded  t.py::test_a: ")
    assert not (project / ".zenboard" / "history.db").exists()


STRESS = """
import os
from pathlib import Path

def test_every_third():
    counter = Path(__file__).with_name("count-" + os.environ.get("PYTEST_XDIST_WORKER", "main"))
    n = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(n))
    assert n % 3
"""


def test_a_stress_runs_failed_repetitions_make_its_test_a_candidate(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {"pyproject.toml": suites_toml('name = "unit"\nworkers = 2'), "tests/test_s.py": STRESS},
    )
    nodeid = "tests/test_s.py::test_every_third"
    assert run_cli(["run", "--repeat", "6", nodeid], project).returncode == 1
    failures = sum(int(c.read_text()) // 3 for c in (project / "tests").glob("count-*"))
    assert failures >= 1
    data = json.loads(run_cli(["history", "--flaky", "--json"], project).stdout)
    (candidate,) = data["candidates"]
    assert (candidate["nodeid"], candidate["failed"], candidate["runs"]) == (nodeid, failures, 6)


def test_a_test_that_passed_only_on_a_retry_is_a_candidate(tmp_path: Path) -> None:
    project = _project(tmp_path)
    with History(project) as db:
        for i, attempts in enumerate((1, 2, 1)):  # the second run needed a retry
            tests = (
                TestRecord("t.py::test_retried", "passed", 0.01, "gw0", attempts),
                TestRecord("t.py::test_steady", "passed", 0.01, "gw0"),
            )
            suites = (SuiteRecord("unit", "passed", 1.0, 2, False, tests),)
            db.record(RunRecord(DAY + 60 * i, DAY + 60 * i + 1, "run", 0, None, None, None, suites))
    done = run_cli(["history", "--flaky"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    pasted = [line for line in done.stdout.splitlines() if line.startswith('"')]
    since = time.strftime("%Y-%m-%d", time.localtime(DAY))
    assert tomllib.loads("\n".join(pasted)) == {
        "t.py::test_retried": f"flaky: failed 1 of 3 runs since {since}"
    }
