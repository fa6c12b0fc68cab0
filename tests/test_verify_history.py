"""verify shows what the run history knows about the tests it ran: flips its own runs missed.

The pure part judges which tests deserve a line; the real part records flipping results with
the real History API, runs `zenboard verify` on a stable project and reads its lines and JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli, suites_toml, write_project
from zenboard.headless.verify import TestVerdict, Verdict
from zenboard.headless.verify_history import Known, note_line, notes
from zenboard.records.history import History, RunRecord, SuiteRecord, TestRecord

STEADY = "tests/test_a.py::test_steady"
WOBBLY = "tests/test_a.py::test_wobbly"


def _verdict(*tests: TestVerdict) -> Verdict:
    return Verdict(list(tests), [])


def test_a_test_stable_here_but_flipping_in_the_history_gets_a_line() -> None:
    verdict = _verdict(TestVerdict("unit", WOBBLY, "PPP"), TestVerdict("unit", STEADY, "PPP"))
    known = {
        ("unit", WOBBLY): Known("PFPPF", ("ci-7", "laptop")),
        ("unit", STEADY): Known("PPPPP", ("ci-7",)),
    }
    [note] = notes(verdict, known)
    assert (note.nodeid, note.pattern, note.verified, note.flips) == (WOBBLY, "PFPPF", "passing", 3)
    assert note_line(note, 3, stress=False) == (
        f"history: [unit] {WOBBLY} flipped 3 times in the last 50 runs: PFPPF"
        " (machines: ci-7, laptop) - stable in these 3 runs, which does not prove it is fixed"
    )


def test_flaky_and_failing_tests_get_their_history_quarantined_and_unknown_ones_none() -> None:
    verdict = _verdict(
        TestVerdict("unit", WOBBLY, "PFP"),
        TestVerdict("unit", STEADY, "FFF"),
        TestVerdict("unit", "tests/test_a.py::test_q", "PFP", quarantined="known flake"),
        TestVerdict("unit", "tests/test_a.py::test_new", "FFF"),
        TestVerdict("api", WOBBLY, "PPP"),  # same id, other suite: its own history
    )
    known = {
        ("unit", WOBBLY): Known("PPPP"),
        ("unit", STEADY): Known("PPPF"),
        ("unit", "tests/test_a.py::test_q"): Known("PFPF"),
        ("api", WOBBLY): Known("PP"),
    }
    found = notes(verdict, known)
    assert [(n.nodeid, n.verified, n.pattern) for n in found] == [
        (WOBBLY, "flaky", "PPPP"),
        (STEADY, "failing", "PPPF"),
    ]
    assert note_line(found[1], 3, stress=False) == (
        f"history: [unit] {STEADY} failing here; the last 50 runs: PPPF"
    )


def test_a_long_pattern_and_untrusted_names_are_shown_safely() -> None:
    pattern = "PF" * 100
    [note] = notes(
        _verdict(TestVerdict("unit", "t.py::x\x1b[2J", "P")),
        {("unit", "t.py::x\x1b[2J"): Known(pattern, ("evil\x1b]0;x",))},
    )
    line = note_line(note, 1, stress=True)
    assert "\x1b" not in line and "\\x1b" in line
    assert f"...{pattern[-50:]} " in line and "in these 1 repetition," in line


def _record_flips(root: Path) -> None:
    """Five runs on two machines in which test_wobbly flipped; test_steady always passed."""
    with History(root) as db:
        for i, (outcome, machine) in enumerate(
            [("passed", "ci-7"), ("failed", "ci-7"), ("passed", "laptop"), ("failed", "laptop")]
        ):
            tests = (
                TestRecord(WOBBLY, outcome, 0.1, "gw0"),
                TestRecord(STEADY, "passed", 0.1, "gw0"),
            )
            suite = SuiteRecord("quick", "passed", 1.0, 1, False, tests)
            db.record(RunRecord(1000.0 + i, 1001.0 + i, "run", 0, suites=(suite,), machine=machine))


@pytest.mark.slow
def test_verify_of_a_stable_project_shows_the_historys_flips(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "quick"\nargs = ["-m", "unit"]\nworkers = 0'),
            "tests/test_a.py": (
                "import pytest\n\npytestmark = pytest.mark.unit\n\n"
                "def test_wobbly():\n    pass\n\ndef test_steady():\n    pass\n"
            ),
            "tests/sub/.keep": "",
        },
    )
    _record_flips(project)
    done = run_cli(["verify", "--runs", "2"], project / "tests" / "sub")
    assert done.returncode == 0, done.stdout + done.stderr  # shown, never judged
    assert "verdict: stable (2 runs, 2 tests)" in done.stdout
    history = [line for line in done.stdout.splitlines() if line.startswith("history:")]
    assert history == [  # read before verify's own two passes were recorded
        f"history: [quick] {WOBBLY} flipped 3 times in the last 50 runs: PFPF"
        " (machines: ci-7, laptop) - stable in these 2 runs, which does not prove it is fixed"
    ]
    done = run_cli(["verify", "--runs", "1", "--json"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["history"] == [
        {
            "suite": "quick",
            "nodeid": WOBBLY,
            "pattern": "PFPFPP",  # the first verify's runs are history now
            "machines": sorted({"ci-7", "laptop", *_this_machine()}),
            "flips": 4,
            "verify": "passing",
        }
    ]


def _this_machine() -> set[str]:
    import socket

    return {socket.gethostname()} - {""}


@pytest.mark.slow
def test_an_unreachable_shared_history_is_one_line_and_changes_no_verdict(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": suites_toml('name = "quick"\nargs = ["-m", "unit"]\nworkers = 0'),
            "tests/test_a.py": "import pytest\n\n@pytest.mark.unit\ndef test_fine():\n    pass\n",
        },
    )
    url = "postgresql://zb:Pw-n0t-sh0wn@127.0.0.1:1/history?connect_timeout=2"
    done = run_cli(["verify", "--runs", "1", "--json"], project, env={"ZENBOARD_HISTORY_URL": url})
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["history"] == []
    [line] = [line for line in done.stderr.splitlines() if line.startswith("history not read")]
    assert line.startswith("history not read: postgresql://zb:***@127.0.0.1:1/history")
    assert "Pw-n0t-sh0wn" not in done.stdout + done.stderr
