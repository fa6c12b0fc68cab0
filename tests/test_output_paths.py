"""`--events FILE` and `--summary-md FILE` are checked before anything runs, as the report dir is.

A FILE that is a directory or a symlink, or a file standing where one of its directories goes,
is one line naming the option and the path, exit 2, and no suite started (no report written).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import write_project
from zenboard.cli import main
from zenboard.commands import check_output_file

TEST = "def test_fine():\n    open('ran', 'w').close()\n"


def _refused(
    args: list[str], project: Path, capsys: pytest.CaptureFixture[str], expected: str
) -> None:
    assert main([*args, "--project", str(project)]) == 2
    out, err = capsys.readouterr()
    assert err == f"zenboard: error: {expected}\n", out + err
    assert not (project / "ran").exists() and not (project / ".zenboard" / "reports").exists()


@pytest.mark.parametrize("option", ["--events", "--summary-md"])
def test_a_report_file_that_cannot_be_written_is_refused_before_any_suite_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    project = write_project(tmp_path / "proj", {"test_fine.py": TEST})
    (tmp_path / "a-file").write_text("")
    under_file = tmp_path / "a-file" / "deeper" / "out"
    _refused(
        ["run", "--ci", option, str(under_file)],
        project,
        capsys,
        f"{option} {under_file}: {tmp_path / 'a-file'} exists and is not a directory",
    )
    _refused(
        ["run", "--ci", option, str(tmp_path)],
        project,
        capsys,
        f"{option} {tmp_path}: is a directory (expected a file)",
    )
    link = tmp_path / "planted"
    link.symlink_to(tmp_path / "elsewhere")
    _refused(
        ["run", "--ci", option, str(link)],
        project,
        capsys,
        f"{option} {link}: is a symlink (zenboard writes reports only to files it makes)",
    )
    assert not (tmp_path / "elsewhere").exists()


def test_the_dashboard_refuses_its_events_file_before_it_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "proj", {"test_fine.py": TEST})
    _refused(
        ["launch", "--events", str(project)],
        project,
        capsys,
        f"--events {project}: is a directory (expected a file)",
    )


def test_missing_directories_are_accepted_and_made_when_written(tmp_path: Path) -> None:
    check_output_file("--events", tmp_path / "new" / "deeper" / "events.jsonl")
    check_output_file("--summary-md", None)
    assert not (tmp_path / "new").exists(), "the check writes nothing"
