"""Bounds on what the command line accepts: beyond them, one line and exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import run_cli, suites_toml, write_project
from zenboard.errors import InputError
from zenboard.planning.shards import MAX_SHARDS, parse_shard

pytestmark = pytest.mark.slow  # starts processes: not in the fast tier


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(
        tmp_path,
        {
            "pyproject.toml": suites_toml('name = "unit"\nworkers = 0'),
            "test_ok.py": "def test_ok():\n    pass\n",
        },
    )


def test_shard_bounds() -> None:
    assert parse_shard(f"{MAX_SHARDS}/{MAX_SHARDS}") == (MAX_SHARDS, MAX_SHARDS)
    assert parse_shard(" 2 / 3 ") == (2, 3)
    for bad in ("", "0/2", "3/2", f"1/{MAX_SHARDS + 1}", "1/1000000000", "a/b", "1/2/3", "-1/2"):
        with pytest.raises(InputError, match="--shard"):
            parse_shard(bad)


@pytest.mark.parametrize("value", ["", "1/1000000000", "0/1"])
def test_a_bad_shard_is_one_line_and_exit_2_before_anything_runs(project: Path, value: str) -> None:
    done = run_cli(["run", "--ci", "--shard", value], project, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "--shard" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (project / ".zenboard" / "reports").exists()


@pytest.mark.parametrize("value", ["0", "-3", "10001", "99999999999999999999999", "ten"])
def test_history_limit_is_bounded(project: Path, value: str) -> None:
    done = run_cli(["history", "--limit", value], project, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--limit" in done.stderr and "Traceback" not in done.stderr


def test_history_limit_inside_the_bounds_works(project: Path) -> None:
    assert run_cli(["run", "--ci"], project).returncode == 0
    done = run_cli(["history", "--limit", "10000", "--json"], project, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--ci", "--report-dir", ""],
        ["run", "--ci", "--report-dir", " "],
        ["run", "--ci", "--project", ""],
        ["merge", "", "--report-dir", "out"],
        ["durations", "--update", "--from", ""],
    ],
)
def test_an_empty_path_is_bad_input(tmp_path: Path, args: list[str]) -> None:
    """An unset CI variable must not send the reports among the project's own files."""
    project = write_project(tmp_path, {"pyproject.toml": suites_toml('name = "unit"')})
    done = run_cli(args, project, timeout=60)
    assert done.returncode == 2
    assert "an empty path (an unset variable?)" in done.stderr
    assert sorted(p.name for p in project.iterdir()) == ["pyproject.toml"]
