"""verify and compare on real runs: flaky versus failing, isolation leak versus flaky test.

The flaky tests here are deterministic across runs (a counter file decides which invocation
fails), so the tests cannot flake themselves; the isolation leak is the demo's own pair.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers import run_cli, suites_toml, write_project
from zenboard.commands.demo import DEMO_SOURCE, copy_demo
from zenboard.headless.verify import TestVerdict


def counter_flaky(fails_on: tuple[int, ...]) -> str:
    return f"""
        from pathlib import Path

        COUNTER = Path(__file__).with_name("invocations.txt")

        def test_counter_flaky():
            n = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1
            COUNTER.write_text(str(n))
            assert n not in {fails_on!r}, f"invocation {{n}} fails on purpose"
    """


PASSING = """
    import pytest

    @pytest.mark.parametrize("i", range(4))
    def test_fine(i):
        assert i >= 0
"""


@pytest.mark.slow
def test_verify_reports_the_flaky_test_and_calls_a_broken_one_failing(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 2'),
            "tests/test_fine.py": PASSING,
            "tests/test_flaky.py": counter_flaky((2,)),
            "tests/test_broken.py": "def test_always_broken():\n    assert 1 + 1 == 3\n",
        },
    )
    done = run_cli(["verify", "--runs", "3", "--task", "t-42", "--json"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["verdict"] == "flaky"
    assert verdict["flaky"] == [
        {"suite": "unit", "nodeid": "tests/test_flaky.py::test_counter_flaky", "pattern": "PFP"}
    ]
    assert verdict["failing"] == [
        {"suite": "unit", "nodeid": "tests/test_broken.py::test_always_broken", "pattern": "FFF"}
    ]
    proofs = sorted((project / ".zenflow" / "tasks" / "t-42").glob("proof_run*.txt"))
    assert [p.name for p in proofs] == [f"proof_run{k}.txt" for k in range(1, 4)]
    second = proofs[1].read_text()
    assert (
        "run 2 of 3" in second and "test_counter_flaky" in second and "test_always_broken" in second
    )
    assert "test_counter_flaky" not in proofs[0].read_text()


@pytest.mark.slow
def test_verify_is_stable_when_everything_passes_every_run(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 0'),
            "tests/test_fine.py": PASSING,
        },
    )
    done = run_cli(["verify", "--runs", "2", "--task", "ok"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verdict: stable (2 runs, 4 tests)" in done.stdout


@pytest.mark.slow
def test_verify_refuses_zero_runs(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    done = run_cli(["verify", "--runs", "0"], tmp_path)
    assert done.returncode == 2 and "--runs 0" in done.stderr


@pytest.mark.parametrize(
    ("pattern", "kind"),
    [
        ("PPFPP", "flaky"),
        ("FFFFF", "failing"),
        ("PPSPP", "passing"),
        ("F-FFF", "failing"),
        ("PPPP-", "passing"),
    ],
)
def test_a_pattern_is_flaky_only_when_it_both_passes_and_fails(pattern: str, kind: str) -> None:
    assert TestVerdict("s", "t", pattern).kind == kind


@pytest.mark.slow
def test_compare_tells_the_isolation_leak_from_the_flaky_test(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml(
                'name = "isolation"\nargs = ["-k", "isolation_leak"]\nworkers = 2\ndist = "load"',
                'name = "unit"\nargs = ["-k", "not isolation_leak"]\nworkers = 2',
            ),
            "tests/test_fine.py": PASSING,
            # invocations: 1 sequential, 2 parallel, 3 sequential rerun, 4 parallel rerun
            "tests/test_flaky.py": counter_flaky((2, 3)),
        },
    )
    shutil.copy(
        DEMO_SOURCE / "tests" / "test_isolation_leak.py",
        project / "tests" / "test_isolation_leak.py",
    )
    done = run_cli(["compare", "--reruns", "1", "--json"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["identical"] is False and result["tests"] == 7
    assert result["sequential_wall"] > 0 and result["parallel_wall"] > 0
    kinds = {d["nodeid"]: d["kind"] for d in result["differences"]}
    assert kinds == {
        "tests/test_isolation_leak.py::test_isolation_leak_maths_export": "isolation leak",
        "tests/test_isolation_leak.py::test_isolation_leak_physics_export": "isolation leak",
        "tests/test_flaky.py::test_counter_flaky": "flaky",
    }
    leak = next(d for d in result["differences"] if d["kind"] == "isolation leak")
    assert leak["sequential"] == ["passed"] * 2 and leak["parallel"] == ["failed"] * 2
    flaky = next(d for d in result["differences"] if d["kind"] == "flaky")
    assert flaky["sequential"] == ["passed", "failed"] and flaky["parallel"] == ["failed", "passed"]


@pytest.mark.slow
def test_compare_finds_the_demos_isolation_leak_and_nothing_else(tmp_path: Path) -> None:
    demo = copy_demo(tmp_path / "demo")
    done = run_cli(["compare", "isolation", "--reruns", "1"], demo)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "outcomes: 2 tests differ" in lines
    blamed = [
        line.split("]")[-1].strip()
        for line in lines
        if line.strip().startswith(("isolation leak", "flaky"))
    ]
    assert blamed == [
        "tests/test_isolation_leak.py::test_isolation_leak_maths_export",
        "tests/test_isolation_leak.py::test_isolation_leak_physics_export",
    ]
    assert all(
        line.strip().startswith("isolation leak") for line in lines if "test_isolation_leak" in line
    )
    assert "parallel took" in lines[0]


@pytest.mark.slow
def test_compare_exits_0_when_outcomes_are_identical(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 2'),
            "tests/test_fine.py": PASSING,
        },
    )
    done = run_cli(["compare"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "outcomes: identical" in done.stdout
