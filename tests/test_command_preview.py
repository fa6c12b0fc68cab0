"""The command shown on an idle card is the command the engine runs (one definition of both)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.helpers import suites_toml, write_project
from zenboard.config import load_config
from zenboard.engine.commands import build_suite_command, command_preview


@pytest.mark.parametrize(
    ("keys", "shown"),
    [
        (
            'args = ["-m", "unit and not slow", "-x"]\nworkers = 3\ndist = "loadscope"',
            "pytest -m 'unit and not slow' -x -n 3 --dist loadscope",
        ),
        ('args = ["tests"]\nworkers = 0\ndist = "loadfile"', "pytest tests -n 0"),
        ('workers = "auto"', "pytest -n auto"),
    ],
)
def test_the_preview_of_a_pytest_suite_is_what_runs(tmp_path: Path, keys: str, shown: str) -> None:
    project = write_project(tmp_path / "p", {"pyproject.toml": suites_toml(f'name = "u"\n{keys}')})
    suite = load_config(project).suite("u")
    assert command_preview(suite) == shown
    argv = build_suite_command(suite, tmp_path / "u.json").argv
    typed = shlex.split(shown)[1:]
    assert argv[1:3] == ("-m", "pytest")
    assert list(argv[3 : 3 + len(typed)]) == typed  # then only zenboard's report options
    assert all(a.startswith("--json-report") for a in argv[3 + len(typed) :])
