"""verify on test ids (a stress run over the workers) and verify's quarantine rule, on real runs.

The flaky test fails deterministically: each worker counts its own calls and fails every third,
so a test that runs on two workers six times fails at least once and passes at least once.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli, suites_toml, write_project

pytestmark = pytest.mark.slow  # every test here starts pytest or zenboard processes

STRESS = """
import os
from pathlib import Path

def test_steady():
    pass

def test_every_third():
    counter = Path(__file__).with_name("count-" + os.environ.get("PYTEST_XDIST_WORKER", "main"))
    n = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(n))
    assert n % 3, f"call {n} of this worker fails on purpose"
"""

EVERY_THIRD = "tests/test_s.py::test_every_third"
STEADY = "tests/test_s.py::test_steady"


def _stress_project(tmp_path: Path, extra: str = "") -> Path:
    return write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 2') + extra,
            "tests/test_s.py": STRESS,
        },
    )


def test_verify_of_a_test_id_repeats_it_over_the_workers_and_a_failed_repetition_is_not_stable(
    tmp_path: Path,
) -> None:
    project = _stress_project(tmp_path)
    done = run_cli(["verify", EVERY_THIRD, "--runs", "6", "--task", "t", "--json"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    verdict = json.loads(done.stdout)
    calls = {p.name: int(p.read_text()) for p in (project / "tests").glob("count-*")}
    assert set(calls) == {"count-gw0", "count-gw1"} and sum(calls.values()) == 6
    (flaky,) = verdict["flaky"]
    assert (verdict["verdict"], verdict["stress"], flaky["nodeid"]) == ("flaky", True, EVERY_THIRD)
    assert len(flaky["pattern"]) == 6
    assert flaky["pattern"].count("F") == sum(n // 3 for n in calls.values())
    proof = (project / ".zenflow/tasks/t/proof_run1.txt").read_text()
    assert proof.startswith("zenboard verify: stress run, 6 repetitions of 1 test\n")
    assert not (project / ".zenflow/tasks/t/proof_run2.txt").exists()


def test_verify_of_a_passing_test_id_is_stable(tmp_path: Path) -> None:
    project = _stress_project(tmp_path)
    done = run_cli(["verify", STEADY, "--runs", "4", "--task", "t"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("stress run, 4 repetitions of 1 test: 4 passed in ")
    assert lines[1] == "verdict: stable (4 repetitions, 1 test)"


def test_verify_refuses_too_many_repetitions_naming_runs(tmp_path: Path) -> None:
    project = _stress_project(tmp_path)
    done = run_cli(["verify", STEADY, "--runs", "10001"], project)
    assert done.returncode == 2
    assert done.stderr.strip().endswith("--runs 10001: expected a whole number from 1 to 10000")
    assert "Traceback" not in done.stderr


QUARANTINE = """
[tool.zenboard.quarantine]
"tests/test_q.py::test_broken" = "broken since the upgrade, see the tracker"
"tests/test_q.py::test_param" = "its cases time out"
"""

QUARANTINED_TESTS = """
import pytest

def test_ok():
    pass

def test_broken():
    assert False, "quarantined failure"

@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    assert n == 1
"""


def test_verify_lists_failing_quarantined_tests_apart_and_stays_stable(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 2') + QUARANTINE,
            "tests/test_q.py": QUARANTINED_TESTS,
        },
    )
    done = run_cli(["verify", "--runs", "2", "--task", "t"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    at = lines.index("verdict: stable (2 runs, 4 tests)")
    assert lines[at + 1 :] == [
        "quarantined (judged apart: their failures do not change the verdict)",
        "  failing  FF  [unit] tests/test_q.py::test_broken: broken since the upgrade, see the"
        " tracker",
        "  passing  PP  [unit] tests/test_q.py::test_param[1]: its cases time out",
        "  failing  FF  [unit] tests/test_q.py::test_param[2]: its cases time out",
    ]
    proof = (project / ".zenflow/tasks/t/proof_run1.txt").read_text()
    assert "FAILED (quarantined) tests/test_q.py::test_broken" in proof


def test_a_stress_verify_of_a_quarantined_test_reports_it_and_stays_stable(tmp_path: Path) -> None:
    project = _stress_project(
        tmp_path, f'\n[tool.zenboard.quarantine]\n"{EVERY_THIRD}" = "flaky on CI"\n'
    )
    done = run_cli(["verify", EVERY_THIRD, STEADY, "--runs", "6", "--json"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    verdict = json.loads(done.stdout)
    assert (verdict["verdict"], verdict["flaky"], verdict["failing"]) == ("stable", [], [])
    (quarantined,) = verdict["quarantined"]
    assert quarantined["nodeid"] == EVERY_THIRD and quarantined["reason"] == "flaky on CI"
    assert "F" in quarantined["pattern"] and "P" in quarantined["pattern"]
