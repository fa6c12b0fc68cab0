"""Per-worker isolation helpers: the suffix, database names and media directories."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from zenboard.isolation import db_name, media_dir, normalise, worker_suffix


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "0"),
        ({"PYTEST_XDIST_WORKER": "gw0"}, "gw0"),
        ({"PYTEST_XDIST_WORKER": "GW12"}, "gw12"),
        ({"CI_NODE_INDEX": "3"}, "3"),
        ({"CI_NODE_INDEX": "1", "PYTEST_XDIST_WORKER": "gw1"}, "1_gw1"),
        ({"CI_NODE_INDEX": "", "PYTEST_XDIST_WORKER": "gw2"}, "gw2"),
        ({"PYTEST_XDIST_WORKER": "gw-3/../x"}, "gw3x"),
        ({"PYTEST_XDIST_WORKER": "gw_é4"}, "gw_4"),
        ({"PYTEST_XDIST_WORKER": "--//--"}, "0"),
        ({"CI_NODE_INDEX": "$;", "PYTEST_XDIST_WORKER": "gw0"}, "gw0"),
    ],
)
def test_worker_suffix(environ: dict[str, str], expected: str) -> None:
    assert worker_suffix(environ) == expected


def test_normalise_keeps_only_ascii_word_characters() -> None:
    assert normalise("Gw 0;DROP-table_ß") == "gw0droptable_"


def test_suffix_without_xdist_keeps_the_ci_machine() -> None:
    assert worker_suffix({"CI_NODE_INDEX": "2", "PYTEST_XDIST_WORKER": "gw0"}, xdist=False) == "2"
    assert worker_suffix({"PYTEST_XDIST_WORKER": "gw0"}, xdist=False) == "0"

    """CI_NODE_INDEX alone gave every worker on a CI machine the same database; ours does not."""
    """The spec's formula gave every worker on a CI machine the same database; ours does not."""
    workers = [{"CI_NODE_INDEX": "1", "PYTEST_XDIST_WORKER": f"gw{i}"} for i in range(4)]
    names = {db_name("test_demo", env) for env in workers}
    assert len(names) == 4


def test_db_name() -> None:
    assert db_name("test_demo", {"PYTEST_XDIST_WORKER": "gw0"}) == "test_demo_gw0"
    assert db_name("test_demo", {}) == "test_demo_0"


def test_db_name_leaves_the_worker_to_pytest_django() -> None:
    """pytest-django appends `_gw0` itself; adding ours too would give `test_app_gw0_gw0`."""
    assert db_name("test_app", {"PYTEST_XDIST_WORKER": "gw0"}, xdist=False) == "test_app"
    on_ci_machine = {"PYTEST_XDIST_WORKER": "gw0", "CI_NODE_INDEX": "1"}
    assert db_name("test_app", on_ci_machine, xdist=False) == "test_app_1"


def test_empty_prefixes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="prefix"):
        db_name("", {})
    with pytest.raises(ValueError, match="prefix"):
        media_dir(tmp_path, "", {})


def test_media_dir_is_created_per_worker(tmp_path: Path) -> None:
    first = media_dir(tmp_path / "media-root", "media", {"PYTEST_XDIST_WORKER": "gw0"})
    second = media_dir(tmp_path / "media-root", "media", {"PYTEST_XDIST_WORKER": "gw1"})
    assert first == tmp_path / "media-root" / "media_gw0"
    assert second == tmp_path / "media-root" / "media_gw1"
    assert first.is_dir()
    assert second.is_dir()
    (first / "kept.txt").write_text("x", encoding="utf-8")
    assert media_dir(tmp_path / "media-root", "media", {"PYTEST_XDIST_WORKER": "gw0"}) == first
    assert (first / "kept.txt").read_text(encoding="utf-8") == "x"


@pytest.mark.slow
def test_defaults_read_the_process_environment(tmp_path: Path) -> None:
    """Without `environ` the helpers read os.environ, as a settings module would."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI_NODE_INDEX", "PYTEST_XDIST_WORKER")}
    env["PYTEST_XDIST_WORKER"] = "gw7"
    code = (
        "import sys; from zenboard.isolation import db_name, media_dir, worker_suffix;"
        "print(worker_suffix(), db_name('t'), media_dir(sys.argv[1]).name)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.split() == ["gw7", "t_gw7", "media_gw7"]
