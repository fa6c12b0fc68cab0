"""Root discovery: every command finds its project from any subfolder, as pytest does."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run_cli, write_project
from zenboard.commands import COMMANDS
from zenboard.project.root import _pytest_major, find_root, pytest_rootdir

PYTEST_9 = _pytest_major() >= 9

LAYOUTS: dict[str, dict[str, str]] = {
    "pytest.ini": {"pytest.ini": "[pytest]\n"},
    "empty pytest.ini": {"pytest.ini": ""},
    "pyproject ini_options": {"pyproject.toml": "[tool.pytest.ini_options]\nmarkers = ['unit']\n"},
    "tox.ini": {"tox.ini": "[tox]\n\n[pytest]\nmarkers = unit\n"},
    "setup.cfg": {"setup.cfg": "[metadata]\nname = x\n\n[tool:pytest]\nmarkers = unit\n"},
    "bare pyproject": {"pyproject.toml": "[project]\nname = 'x'\nversion = '0'\n"},
    "setup.py": {"setup.py": "pass\n"},
}
if PYTEST_9:
    LAYOUTS["pytest.toml"] = {"pytest.toml": "[pytest]\nmarkers = ['unit']\n"}
    LAYOUTS[".pytest.toml"] = {".pytest.toml": "[pytest]\n"}
    LAYOUTS["pyproject tool.pytest"] = {"pyproject.toml": "[tool.pytest]\nmarkers = ['unit']\n"}


def pytests_own_rootdir(where: Path) -> Path:
    """What the installed pytest prints as `rootdir:` when run in `where`."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "--co",
            "-o",
            "addopts=",
            "-v",
        ],
        cwd=where,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("rootdir: "))
    return Path(line.removeprefix("rootdir: ").split(",")[0])


@pytest.mark.slow
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_the_root_is_the_one_pytest_chooses(tmp_path: Path, layout: str) -> None:
    """Run from two levels down, with a decoy config that pytest ignores on the way up."""
    project = write_project(tmp_path / "proj", LAYOUTS[layout])
    inner = project / "pkg" / "tests"
    inner.mkdir(parents=True)
    (inner / "tox.ini").write_text("[tox]\nenvlist = py\n")  # no [pytest]: not a config
    (inner / "test_x.py").write_text("def test_x():\n    pass\n")
    assert pytest_rootdir(inner) == project
    assert find_root(inner) == project
    assert pytests_own_rootdir(inner) == project


def test_the_nearest_zenboard_configuration_wins(tmp_path: Path) -> None:
    outer = write_project(tmp_path, {"pytest.ini": "[pytest]\n"})
    inner = write_project(
        outer / "services" / "api", {"zenboard.toml": "[[suites]]\nname = 'api'\n"}
    )
    (inner / "src").mkdir()
    assert find_root(inner / "src") == inner
    (outer / "pyproject.toml").write_text("[tool.zenboard]\n")
    assert find_root(outer / "services") == outer


def test_outside_any_project_there_is_no_root(tmp_path: Path) -> None:
    (tmp_path / "loose").mkdir()
    assert find_root(tmp_path / "loose") is None


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(
        tmp_path / "proj",
        {
            "pyproject.toml": """
                [tool.pytest.ini_options]
                markers = ["unit"]

                [tool.zenboard]
                [[tool.zenboard.suites]]
                name = "unit"
                args = ["-m", "unit", "tests"]
                workers = 0
            """,
            "src/app/__init__.py": "VALUE = 3\n",
            "tests/conftest.py": "import sys, pathlib\n"
            "sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / 'src'))\n",
            "tests/unit/test_value.py": """
                import pytest
                from app import VALUE

                @pytest.mark.unit
                def test_value():
                    assert VALUE == 3
            """,
        },
    )


@pytest.mark.slow
@pytest.mark.parametrize("sub", ["tests", "tests/unit", "src/app"])
def test_commands_from_a_subfolder_use_the_project(project: Path, sub: str) -> None:
    done = run_cli(["run", "--ci"], project / sub)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "unit" in done.stdout and "passed" in done.stdout
    assert (project / ".zenboard" / "reports" / "latest" / "summary.json").is_file()
    assert not (project / sub / ".zenboard").exists()
    history = run_cli(["history", "--json"], project / sub)
    assert history.returncode == 0 and '"exit_code": 0' in history.stdout


@pytest.mark.slow
def test_project_overrides_the_search(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = run_cli(["run", "--ci", "--project", str(project)], elsewhere)
    assert done.returncode == 0, done.stderr
    assert not (elsewhere / ".zenboard").exists()


def commands_that_need_a_project() -> list[list[str]]:
    """Every command that runs or reads a project (each module's `PROJECT`), and `init --check`,
    which is `zenboard audit`."""
    needed = []
    for name in COMMANDS:
        module = importlib.import_module(f"zenboard.commands.{name}")
        if getattr(module, "PROJECT", "needed") == "needed":
            needed.append([module.NAME])
    return [["run", "--ci"], *needed, ["init", "--check"]]


@pytest.mark.slow
@pytest.mark.parametrize("args", commands_that_need_a_project(), ids=" ".join)
def test_outside_a_project_commands_say_so(tmp_path: Path, args: list[str]) -> None:
    where = tmp_path / "nowhere"
    where.mkdir()
    (where / "test_loose.py").write_text("def test_x():\n    pass\n")
    done = run_cli(args, where)
    assert done.returncode == 2
    assert done.stderr == (
        f"zenboard: error: not a project: no zenboard or pytest configuration in {where} or "
        "above (run zenboard init)\n"
    )
    assert not (where / ".zenboard").exists()


@pytest.mark.slow
def test_merge_needs_no_project(tmp_path: Path) -> None:
    where = tmp_path / "nowhere"
    where.mkdir()
    done = run_cli(["merge", "missing-dir", "--report-dir", "out"], where)
    assert "not a project" not in done.stderr
