"""An empty suite is never green: a whole run that selects no test exits 5, with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli, suites_toml, write_project
from zenboard.config import SuiteConfig
from zenboard.model import events as ev
from zenboard.model.reducer import apply
from zenboard.model.state import RunState
from zenboard.watch.plan import PlannedPhase, phase_suite

TESTS = """
    import pytest

    @pytest.mark.unit
    def test_unit():
        pass

    @pytest.mark.api
    @pytest.mark.parametrize("n", [1, 2])
    def test_api(n):
        pass
"""
TYPO = 'name = "unit"\nargs = ["-m", "unitt"]\nworkers = 0'
API = 'name = "api"\nargs = ["-m", "api"]\nworkers = 0'


def project(root: Path, *suites: str, extra: dict[str, str] | None = None) -> Path:
    return write_project(
        root, {"pyproject.toml": suites_toml(*suites), "tests/test_x.py": TESTS, **(extra or {})}
    )


def summary_code(root: Path) -> int:
    data = json.loads((root / ".zenboard/reports/latest/summary.json").read_text())
    return int(data["exit_code"])


@pytest.mark.slow
def test_a_typo_in_a_marker_exits_5_and_says_why(tmp_path: Path) -> None:
    root = project(tmp_path, TYPO, API)
    done = run_cli(["run", "--ci"], root)
    assert done.returncode == 5, done.stdout + done.stderr
    assert (
        "suite unit selected no tests (-m unitt); markers in use: api, unit "
        "(allow_empty = true accepts this)"
    ) in done.stdout.splitlines()
    assert "suite api" not in done.stdout
    assert summary_code(root) == 5


@pytest.mark.slow
def test_a_failure_outranks_an_empty_suite(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        TYPO,
        API,
        extra={
            "tests/test_bad.py": "import pytest\n\n@pytest.mark.api\ndef test_bad():\n    assert 0\n"
        },
    )
    done = run_cli(["run", "--ci"], root)
    assert done.returncode == 1
    assert "suite unit selected no tests" in done.stdout


@pytest.mark.slow
def test_allow_empty_accepts_an_empty_suite(tmp_path: Path) -> None:
    root = project(tmp_path, TYPO + "\nallow_empty = true", API)
    done = run_cli(["run", "--ci"], root)
    assert done.returncode == 0, done.stdout
    assert "selected no tests" not in done.stdout
    assert summary_code(root) == 0


@pytest.mark.slow
def test_allow_empty_must_be_a_boolean(tmp_path: Path) -> None:
    root = project(tmp_path, TYPO + '\nallow_empty = "yes"')
    done = run_cli(["run", "--ci"], root)
    assert done.returncode == 2
    assert "allow_empty: true or false, got 'yes'" in done.stderr


@pytest.mark.slow
def test_shard_1_reports_an_empty_suite_once_and_empty_slices_are_exempt(tmp_path: Path) -> None:
    root = project(tmp_path, TYPO, 'name = "one"\nargs = ["-m", "unit"]\nworkers = 0')
    first = run_cli(["run", "--ci", "--shard", "1/3"], root)
    assert first.returncode == 5, first.stdout
    assert "[unit] selects no tests: running it whole in shard 1" in first.stdout
    assert "suite unit selected no tests (-m unitt)" in first.stdout
    for k in (2, 3):  # `one` has a single test: at most one shard holds it, the rest are empty
        done = run_cli(["run", "--ci", "--shard", f"{k}/3"], root)
        assert done.returncode == 0, done.stdout
        assert (
            "unit" not in done.stdout.split("suite ")[0] or "selected no tests" not in done.stdout
        )


def fold(*events: ev.Event) -> RunState:
    state = RunState.for_suites(["unit"])
    for event in events:
        apply(state, event)
    return state


@pytest.mark.parametrize(
    ("nodeids", "allow_empty", "code"),
    [((), False, 5), ((), True, 0), (("t.py::gone",), False, 0)],
    ids=["whole", "allowed", "rerun-of-some"],
)
def test_the_model_exempts_allowed_and_partial_runs(
    nodeids: tuple[str, ...], allow_empty: bool, code: int
) -> None:
    launched = ev.SuiteLaunched("unit", ("pytest",), 1, 0.0, nodeids, allow_empty)
    state = fold(
        launched,
        ev.RunStarted("unit", 0),
        ev.TestsCollected("unit", ()),
        ev.RunFinished("unit", 5, 0.5),
        ev.SuiteExited("unit", 5, 1.0),
    )
    assert state.suites["unit"].status.value == "no tests"
    assert state.exit_code() == code


def test_watch_phases_may_be_empty() -> None:
    suite = SuiteConfig(name="unit", args=("-m", "unit"))
    assert phase_suite(suite, PlannedPhase((), label="all")).allow_empty
    assert not suite.allow_empty


def _finished(state: RunState, name: str, tests: tuple[str, ...], allow_empty: bool) -> None:
    for event in (
        ev.SuiteLaunched(name, ("pytest",), 1, 0.0, (), allow_empty),
        ev.RunStarted(name, 0),
        ev.TestsCollected(name, tests),
        ev.RunFinished(name, 0 if tests else 5, 0.5),
    ):
        apply(state, event)
    for nodeid in tests:
        apply(state, ev.TestFinished(name, nodeid, "main", "passed", 0.01, {}))
    apply(state, ev.SuiteExited(name, 0 if tests else 5, 1.0))


@pytest.mark.parametrize(("allow_empty", "shown"), [(False, "no tests"), (True, "passed")])
def test_the_runs_state_is_not_green_beside_an_empty_suite(allow_empty: bool, shown: str) -> None:
    # The dashboard's header shows this state: a typo in one suite's -m must not read "passed".
    state = RunState.for_suites(["unit", "typo"])
    _finished(state, "unit", ("t.py::test_a",), allow_empty=False)
    _finished(state, "typo", (), allow_empty=allow_empty)
    assert state.suites["unit"].status.value == "passed"
    assert state.status.value == shown
    assert state.exit_code() == (0 if allow_empty else 5)
