"""`zenboard audit` on real projects: every test in exactly one suite, no suite empty.

The module shares one project with all three findings: a test in no suite (unmarked), a test
in two suites (marked unit and api, with suites `-m unit` and `-m api`), a suite that selects
nothing (a typo in its marker). A fourth suite runs in `sub/`, under a rootdir of its own: its
node ids differ from plain pytest's in the root and must still count as the same tests.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_cli, write_project

pytestmark = pytest.mark.slow  # starts processes: not in the fast tier

CONFIG = """\
[tool.pytest.ini_options]
markers = ["unit", "api"]

[[tool.zenboard.suites]]
name = "unit"
args = ["-m", "unit", "test_app.py"]
workers = 0

[[tool.zenboard.suites]]
name = "api"
args = ["-m", "api", "test_app.py"]
workers = 0

[[tool.zenboard.suites]]
name = "typo"
args = ["-m", "apii"]
workers = 0

[[tool.zenboard.suites]]
name = "sub"
cwd = "sub"
workers = 0

[[tool.zenboard.suites]]
name = "e2e"
kind = "playwright"
"""

TESTS = """\
import pytest

@pytest.mark.unit
def test_unit():
    pass

@pytest.mark.api
def test_api():
    pass

@pytest.mark.unit
@pytest.mark.api
def test_both():
    pass

def test_unmarked():
    pass
"""


@dataclass(frozen=True)
class Audited:
    root: Path
    text: subprocess.CompletedProcess[str]
    data: dict[str, Any]


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Audited:
    root = write_project(
        tmp_path_factory.mktemp("audit") / "p",
        {
            "pyproject.toml": CONFIG,
            "test_app.py": TESTS,
            "sub/pytest.ini": "[pytest]\n",
            "sub/test_sub.py": "def test_in_sub():\n    pass\n",
        },
    )
    text = run_cli(["audit"], root)
    as_json = run_cli(["audit", "--json"], root)
    assert as_json.returncode == 1, as_json.stdout + as_json.stderr
    return Audited(root, text, json.loads(as_json.stdout))


def test_findings_exit_1_and_name_each_problem(audited: Audited) -> None:
    assert audited.text.returncode == 1, audited.text.stdout + audited.text.stderr
    assert audited.text.stdout.splitlines() == [
        f"5 tests in {audited.root} (plain pytest); suites: unit 2, api 2, typo 0, sub 1",
        "not checked (not pytest suites): e2e",
        "1 test in no suite:",
        "  test_app.py::test_unmarked",
        "1 test in two or more suites:",
        "  test_app.py::test_both  (unit, api)",
        "suite typo selects no test; the project's markers in use: unit (2), api (2)",
    ]


def test_json_lists_the_same_findings(audited: Audited) -> None:
    data = audited.data
    assert data["clean"] is False
    assert data["tests"] == 5
    assert data["suites"] == {"unit": 2, "api": 2, "typo": 0, "sub": 1}
    assert data["unassigned"] == ["test_app.py::test_unmarked"]
    assert data["duplicated"] == {"test_app.py::test_both": ["unit", "api"]}
    assert data["empty"] == ["typo"]
    assert data["markers"] == {"unit": 2, "api": 2}
    assert data["not_checked"] == ["e2e"]
    assert data["root"] == str(audited.root)


PARTITION = """\
[tool.pytest.ini_options]
markers = ["unit", "api"]

[[tool.zenboard.suites]]
name = "unit"
args = ["-m", "unit"]

[[tool.zenboard.suites]]
name = "rest"
args = ["-m", "not unit"]
"""


def test_a_partition_is_clean_and_init_check_says_so(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"pyproject.toml": PARTITION, "tests/test_app.py": TESTS})
    done = run_cli(["init", "--check"], root / "tests")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        f"4 tests in {root} (plain pytest); suites: unit 2, rest 2",
        "clean: every test is in exactly one suite, and every suite selects a test",
    ]


@pytest.mark.parametrize(
    ("files", "error"),
    [
        (
            {"pyproject.toml": '[[tool.zenboard.suites]]\nname = "u"\nworkers = "many"\n'},
            "tool.zenboard.suites[0] (u).workers: a whole number",
        ),
        ({"pyproject.toml": "[tool.zenboard\n"}, "(syntax)"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, files: dict[str, str], error: str
) -> None:
    root = write_project(tmp_path / "p", files)
    done = run_cli(["audit"], root)
    assert done.returncode == 2
    assert done.stderr.startswith("zenboard: error: ") and error in done.stderr
    assert done.stderr.count("\n") == 1 and done.stdout == ""


def test_no_project_is_exit_2(tmp_path: Path) -> None:
    done = run_cli(["audit"], tmp_path)
    assert done.returncode == 2
    assert "not a project" in done.stderr


def test_a_suite_that_cannot_be_collected_is_named_with_pytests_reason(tmp_path: Path) -> None:
    """The reason is pytest's own error line, not the last line it printed: a plugin's warning
    on stderr (pytest-asyncio's, in many projects) stood in for the error."""
    project = write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": '[[tool.zenboard.suites]]\nname = "unit"\nworkers = 0\n',
            "conftest.py": (
                "import sys\n\n"
                "def pytest_unconfigure(config):\n"
                "    sys.stderr.write('SomePluginWarning: noise at exit\\n')\n"
            ),
            "test_broken.py": "raise ImportError('no module named shop')\n",
        },
    )
    done = run_cli(["audit"], project)
    assert done.returncode == 1, done.stdout + done.stderr
    [line] = [line for line in done.stdout.splitlines() if line.startswith("suite unit")]
    assert "noise at exit" not in line, line
    assert "ERROR test_broken.py" in line and "ImportError: no module named shop" in line, line
