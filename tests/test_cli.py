"""The command line as a user meets it: exit codes, one-line errors, reports, init."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from tests.helpers import run_cli, suites_toml, write_project

pytestmark = pytest.mark.slow  # starts processes: not in the fast tier

TWO_SUITES = suites_toml(
    'name = "fast"\nargs = ["-m", "unit"]\nworkers = 2',
    'name = "api"\nargs = ["-m", "api"]\nworkers = 0',
)
TESTS = """
import pytest

@pytest.mark.unit
@pytest.mark.parametrize("i", range(8))
def test_unit(i):
    pass

@pytest.mark.api
def test_api():
    pass
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "proj", {"pyproject.toml": TWO_SUITES, "test_things.py": TESTS})


def test_run_passes_writes_reports_and_exits_0(project: Path, tmp_path: Path) -> None:
    reports = tmp_path / "out"
    done = run_cli(
        ["run", "--ci", "--project", str(project), "--report-dir", str(reports)], cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["version"] == 1
    rows = {s["name"]: s for s in summary["suites"]}
    assert rows["fast"]["counts"] == {
        "passed": 8,
        "failed": 0,
        "skipped": 0,
        "error": 0,
        "xfailed": 0,
        "xpassed": 0,
        "not_run": 0,
        "flaky": 0,
        "quarantined_failed": 0,
    }
    assert rows["fast"]["unreported"] == 0
    assert rows["fast"]["not_run"] == [] and rows["fast"]["interrupted"] == []
    assert set(rows["fast"]["workers"]) == {"gw0", "gw1"}
    assert set(rows["api"]["workers"]) == {"main"}
    assert rows["api"]["exit_code"] == 0
    for row in rows.values():
        assert set(row) >= {"name", "exit_code", "duration", "counts", "workers", "tests"}
        for worker in row["workers"].values():
            assert set(worker) >= {"done", "passed", "failed", "crashed"}
        for test in row["tests"]:
            assert set(test) >= {"nodeid", "outcome", "worker", "duration"}
    for name in ("fast", "api"):
        assert (reports / f"{name}.json").is_file()
        junit = ET.parse(reports / f"{name}.xml").getroot()
        assert junit.find("testsuite").get("tests") == str(len(rows[name]["tests"]))  # type: ignore[union-attr]
    # progress lines name each suite, then a final table
    assert "[fast]" in done.stdout and "[api]" in done.stdout
    assert "suite" in done.stdout and "gw0" in done.stdout


def test_a_reader_that_stops_reading_does_not_stop_the_run(project: Path) -> None:
    """`zenboard run | head -1`: no traceback, and the run still ends with its reports and code."""
    zenboard = subprocess.Popen(
        [sys.executable, "-m", "zenboard", "run", "--ci"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert zenboard.stdout is not None and zenboard.stderr is not None
    assert zenboard.stdout.readline().startswith("[")
    zenboard.stdout.close()
    assert zenboard.wait(timeout=300) == 0
    assert "Traceback" not in zenboard.stderr.read()
    summary = json.loads((project / ".zenboard/reports/latest/summary.json").read_text())
    assert sum(len(suite["tests"]) for suite in summary["suites"]) == 9


def test_run_selected_suite_only(project: Path) -> None:
    done = run_cli(["run", "api", "--ci"], cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((project / ".zenboard/reports/latest/summary.json").read_text())
    assert [s["name"] for s in summary["suites"]] == ["api"]


def test_ci_progress_is_not_a_flood(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "many"\nworkers = 2'),
            "test_many.py": "import time, pytest\n\n@pytest.mark.parametrize('i', range(300))\ndef test_i(i):\n    time.sleep(0.01)\n",
        },
    )
    done = run_cli(["run", "--ci"], cwd=project)
    assert done.returncode == 0
    progress = [line for line in done.stdout.splitlines() if line.startswith("[many] ")]
    # at most one line a second while running, plus the final one: far fewer than tests
    assert 1 <= len(progress) <= 20
    assert progress[-1].startswith("[many] passed 300/300")


def test_failing_test_exits_1(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"test_x.py": "def test_x():\n    assert False\n"})
    done = run_cli(["run", "--ci"], cwd=project)
    assert done.returncode == 1
    assert "FAILED test_x.py::test_x" in done.stdout


def test_no_tests_collected_exits_5(tmp_path: Path) -> None:
    project = write_project(tmp_path, {"test_none.py": "X = 1\n"})
    done = run_cli(["run", "--ci"], cwd=project)
    assert done.returncode == 5, done.stdout


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ("[tool.zenboard\n", "pyproject.toml: (syntax)"),
        (
            '[[tool.zenboard.suites]]\nname = "a"\nworkers = "many"\n',
            "tool.zenboard.suites[0] (a).workers",
        ),
        (
            '[[tool.zenboard.suites]]\nname = "a"\ndist = "sideways"\n',
            "tool.zenboard.suites[0] (a).dist",
        ),
        ('[[tool.zenboard.suites]]\nname = "a b"\n', "tool.zenboard.suites[0].name"),
        (
            '[[tool.zenboard.suites]]\nname = "a"\ncolour = "red"\n',
            "tool.zenboard.suites[0].colour",
        ),
        (
            '[[tool.zenboard.suites]]\nname = "a"\ncwd = "missing"\n',
            "tool.zenboard.suites[0] (a).cwd",
        ),
        (
            '[[tool.zenboard.suites]]\nname = "a"\n[[tool.zenboard.suites]]\nname = "a"\n',
            "suites[1].name",
        ),
        ("[tool.zenboard]\nsuites = 3\n", "tool.zenboard.suites"),
    ],
)
def test_broken_config_is_one_line_and_exit_2(tmp_path: Path, toml: str, fragment: str) -> None:
    (tmp_path / "pyproject.toml").write_text(toml)
    done = run_cli(["run", "--ci"], cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert fragment in lines[0]
    assert "Traceback" not in done.stderr


def test_unknown_suite_is_exit_2(project: Path) -> None:
    done = run_cli(["run", "nope"], cwd=project)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"zenboard: error: {project / 'pyproject.toml'}: suites: no suite named 'nope' (known: fast, api)"
    ]


def test_bad_flags_and_missing_project_are_exit_2(tmp_path: Path) -> None:
    assert run_cli(["run", "--no-such-flag"], cwd=tmp_path).returncode == 2
    done = run_cli(["run", "--project", str(tmp_path / "nowhere")], cwd=tmp_path)
    assert done.returncode == 2
    assert "nowhere" in done.stderr and "Traceback" not in done.stderr


def test_interpreter_without_xdist_is_exit_2(tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=300
    )
    project = write_project(
        tmp_path / "p",
        {
            "pyproject.toml": suites_toml(f'name = "other"\npython = "{bare / "bin" / "python"}"'),
            "test_x.py": "def test_x():\n    pass\n",
        },
    )
    done = run_cli(["run", "--ci"], cwd=project)
    assert done.returncode == 2
    assert "lacks pytest, pytest-xdist, pytest-json-report" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_headless_commands_never_import_textual() -> None:
    code = (
        "import sys\n"
        "import zenboard.cli, zenboard.headless.run, zenboard.engine, zenboard.model, zenboard.config\n"
        "import zenboard.records.reports, zenboard.plugins.events\n"
        "zenboard.cli.build_parser()\n"
        "assert 'textual' not in sys.modules, sorted(m for m in sys.modules if m.startswith('textual'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_junit_names_keep_parameter_ids_whole(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        {
            "test_ids.py": """
            import pytest

            class TestGroup:
                @pytest.mark.parametrize("x", ["a::b", "[c]", "<&\\"\\t>"])
                def test_p(self, x):
                    assert x != "[c]"
        """,
        },
    )
    done = run_cli(["run", "--ci"], cwd=project)
    assert done.returncode == 1
    suite = ET.parse(project / ".zenboard/reports/latest/tests.xml").getroot().find("testsuite")
    assert suite is not None
    cases = {(c.get("classname"), c.get("name")): [x.tag for x in c] for c in suite}
    assert cases == {
        ("test_ids.TestGroup", "test_p[a::b]"): [],
        ("test_ids.TestGroup", "test_p[[c]]"): ["failure"],
        ("test_ids.TestGroup", 'test_p[<&"\\t>]'): [],
    }
    assert suite.get("failures") == "1"


def test_summary_rows_are_written_as_json_dumps_writes_them() -> None:
    from zenboard.records.reports import summary_text

    rows = [
        {
            "nodeid": 't.py::test_p[é"\\x\t]',
            "outcome": "passed",
            "worker": "gw0",
            "duration": 1e-06,
        },
        {"nodeid": "t.py::test_q", "outcome": "failed", "worker": "main", "duration": 0.25},
        {"nodeid": "t.py::test_r", "outcome": "error", "worker": "gw1", "duration": float("nan")},
        {"nodeid": "t.py::test_s", "outcome": "passed", "worker": "gw1", "duration": 3},
        {"nodeid": "t.py::test_t", "outcome": "passed", "duration": 0.5, "worker": "gw1"},
        {"nodeid": "t.py::test_u", "outcome": "passed", "worker": None, "duration": 0.5},
    ]
    text = summary_text({"version": 1, "suites": [{"name": "s", "tests": rows}]})
    lines = text.splitlines()
    written = [
        line.strip().rstrip(",") for line in lines[lines.index('      "tests": [') + 1 :][:6]
    ]
    assert written == [json.dumps(row) for row in rows]
    assert json.loads(text.replace("NaN", "null"))["suites"][0]["tests"][1] == rows[1]


def test_output_that_cannot_be_written_is_an_error_not_a_silent_success(project: Path) -> None:
    """A full disk under `zenboard history > file`: one line and a non-zero code, as in Python."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "zenboard", "history"],
            cwd=project,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
    assert done.returncode == 120
    assert done.stderr == "zenboard: error: output not written: No space left on device\n"
