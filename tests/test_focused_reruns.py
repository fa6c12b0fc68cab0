"""Focused reruns from the CLI: `run --failed` and `run --repeat N NODEID...`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli, suites_toml, write_project
from zenboard.records.history import History

pytestmark = pytest.mark.slow  # every test here starts pytest or zenboard processes

FLIP = """
from pathlib import Path

def test_ok():
    pass

def test_flips():
    assert Path(__file__).with_name("fixed").exists()

def test_other_ok():
    pass
"""


def _summary(project: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((project / ".zenboard/reports/latest/summary.json").read_text())


def test_run_failed_reruns_only_the_last_failures_then_says_there_are_none(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 2', 'name = "b"\nworkers = 0'),
            "tests/test_flip.py": FLIP,
        },
    )
    (project / "sub").mkdir()
    assert run_cli(["run"], cwd=project).returncode == 1
    again = run_cli(["run", "--failed"], cwd=project / "sub")  # from a subfolder
    assert again.returncode == 1, again.stdout + again.stderr
    rows = {s["name"]: [t["nodeid"] for t in s["tests"]] for s in _summary(project)["suites"]}
    assert rows == {
        "unit": ["tests/test_flip.py::test_flips"],
        "b": ["tests/test_flip.py::test_flips"],
    }
    (project / "tests" / "fixed").write_text("")
    fixed = run_cli(["run", "--failed", "unit"], cwd=project)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert [s["name"] for s in _summary(project)["suites"]] == ["unit"]
    none = run_cli(["run", "--failed"], cwd=project)
    assert none.returncode == 5
    assert none.stdout == "no failed tests in the last run\n"


STRESS = """
import os
from pathlib import Path

def test_steady():
    pass

def test_every_third():
    counter = Path(__file__).with_name("count-" + os.environ.get("PYTEST_XDIST_WORKER", "main"))
    n = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(n))
    assert n % 3
"""


def test_repeat_runs_each_test_n_times_over_the_workers_and_keeps_one_row(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path,
        {"pyproject.toml": suites_toml('name = "unit"\nworkers = 2'), "tests/test_s.py": STRESS},
    )
    ids = ["tests/test_s.py::test_steady", "tests/test_s.py::test_every_third"]
    done = run_cli(["run", "--repeat", "6", *ids], cwd=project)
    assert done.returncode == 1, done.stdout + done.stderr
    suite = _summary(project)["suites"][0]
    rows = {t["nodeid"]: t for t in suite["tests"]}
    assert set(rows) == set(ids)
    assert rows[ids[0]]["outcome"] == "passed"
    assert (rows[ids[0]]["repetitions"], rows[ids[0]]["failures"]) == (6, 0)
    third = rows[ids[1]]
    assert third["outcome"] == "failed" and third["repetitions"] == 6
    # each worker fails every third run it makes: the failures tell how they were spread
    runs = {p.name: int(p.read_text()) for p in (project / "tests").glob("count-*")}
    assert sum(runs.values()) == 6 and set(runs) == {"count-gw0", "count-gw1"}
    assert third["failures"] == sum(n // 3 for n in runs.values())
    assert suite["counts"]["failed"] == 1 and suite["counts"]["passed"] == 1
    with History(project) as db:  # each repetition is a run of its test, under its own id
        recorded = db.conn.execute("SELECT nodeid, outcome FROM test_results").fetchall()
    assert sorted(recorded) == sorted(
        [(ids[0], "passed")] * 6
        + [(ids[1], "failed")] * third["failures"]
        + [(ids[1], "passed")] * (6 - third["failures"])
    )


def test_repeat_of_a_passing_test_exits_0(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {"pyproject.toml": suites_toml('name = "unit"\nworkers = 2'), "tests/test_s.py": STRESS},
    )
    done = run_cli(["run", "--repeat", "3", "unit", "tests/test_s.py::test_steady"], cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    (row,) = _summary(project)["suites"][0]["tests"]
    assert (row["outcome"], row["repetitions"], row["failures"]) == ("passed", 3, 0)
    # zenboard reads its own stress run's summary back: one row stands for its 3 repetitions
    again = run_cli(["run", "--failed"], cwd=project)
    assert (again.returncode, again.stdout.strip()) == (5, "no failed tests in the last run")


MARKED = """
import pytest

@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    pass

@pytest.mark.api
def test_api_only():
    pass
"""


def test_repeat_of_an_id_without_parameters_runs_each_parametrization(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {"pyproject.toml": suites_toml('name = "unit"\nworkers = 2'), "tests/test_m.py": MARKED},
    )
    done = run_cli(["run", "--repeat", "3", "tests/test_m.py::test_param"], cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {r["nodeid"]: r["repetitions"] for r in _summary(project)["suites"][0]["tests"]}
    assert rows == {"tests/test_m.py::test_param[1]": 3, "tests/test_m.py::test_param[2]": 3}


def test_a_stress_run_of_a_test_no_suite_selects_is_never_green(tmp_path: Path) -> None:
    """The suite's `-m "not api"` deselects the test: nothing ran, so nothing passed."""
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nargs = ["-m", "not api"]\nworkers = 2'),
            "tests/test_m.py": MARKED,
        },
    )
    target = "tests/test_m.py::test_api_only"
    done = run_cli(["run", "--repeat", "2", target], cwd=project)
    assert done.returncode == 5, done.stdout + done.stderr
    assert f"repeat: {target} did not run" in done.stdout
    verify = run_cli(["verify", target, "--runs", "2", "--json"], cwd=project)
    assert verify.returncode == 1, verify.stdout + verify.stderr
    verdict = json.loads(verify.stdout)
    assert verdict["verdict"] != "stable"


def test_two_ways_of_choosing_the_tests_are_one_line_and_exit_2(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"pyproject.toml": suites_toml('name = "unit"')})
    done = run_cli(["run", "--failed", "--repeat", "2", "t.py::test_a"], cwd=project)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "zenboard: error: --failed and --repeat: each chooses the tests to run; use one"
    ]
